FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system briefing \
    && useradd --system --gid briefing --home-dir /app --shell /usr/sbin/nologin briefing \
    && mkdir -p /app /data \
    && chown briefing:briefing /data

WORKDIR /app

COPY pyproject.toml README.md ./
COPY briefing/ briefing/
COPY workers/ workers/
COPY templates/ templates/
COPY seeds/ seeds/

RUN pip install --no-cache-dir ".[postgres]"

ENV BRIEFING_DATA_DIR=/data

USER briefing

EXPOSE 8000

CMD ["briefing", "serve", "--host", "0.0.0.0", "--port", "8000"]
