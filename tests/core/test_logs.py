"""JSON log lines: one object a line, with the ids bound around the code that logged."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from briefing.core import logs


@pytest.fixture
def json_log() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    logger = logging.getLogger("tests.json_log")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_line_carries_the_ids_bound_around_it_and_only_there(
        json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    with logs.context(task_id="t-1", edition_id=7):
        with logs.context(delivery_id=42, article_id=None):
            logger.warning("refused: %s", "550 5.7.1")
        logger.info("edition done")
    logger.info("outside")
    refused, done, outside = lines(stream)
    assert refused["message"] == "refused: 550 5.7.1" and refused["level"] == "WARNING"
    assert refused["logger"] == "tests.json_log"
    assert (refused["task_id"], refused["edition_id"], refused["delivery_id"]) == ("t-1", 7, 42)
    assert "article_id" not in refused  # None is left out
    assert "delivery_id" not in done and done["edition_id"] == 7
    assert not {"task_id", "edition_id"} & set(outside)
    assert str(refused["time"]).endswith("+00:00")


def test_a_traceback_stays_inside_its_one_line(
        json_log: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = json_log
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        logger.exception("failed")
    (entry,) = lines(stream)
    assert "ValueError: bad" in str(entry["exception"])


def test_serve_logs_json_through_uvicorns_loggers_only_when_asked() -> None:
    assert logs.uvicorn_config("INFO", "text") is None
    config = logs.uvicorn_config("INFO", "json")
    assert config is not None
    logging.config.dictConfig({**config, "root": {"handlers": [], "level": "WARNING"}})
    assert config["formatters"]["json"]["()"] == "briefing.core.logs.JsonFormatter"
