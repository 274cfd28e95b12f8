"""GET /metrics for Prometheus, behind its own token (BRIEFING_METRICS_TOKEN).

Without the setting the page does not exist (404, as for any unknown address), so a server
that never meant to publish metrics tells nobody it could. With it, a request without the
right `Authorization: Bearer` token gets 401: counts of readers, bounces and lists are the
operator's business.
"""

from __future__ import annotations

import hmac
from functools import partial

from fastapi import APIRouter, Header
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from briefing.api.errors import ApiError
from briefing.operations.exposition import CONTENT_TYPE, page
from briefing.web.deps import DatabaseDep, SettingsDep
from workers.probes import queue_depth

router = APIRouter(tags=["operations"])


def _check(configured: str, authorization: str | None) -> None:
    if not configured:
        raise HTTPException(404)
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode(), configured.encode()):
        raise ApiError(401, "send 'Authorization: Bearer <BRIEFING_METRICS_TOKEN>'",
                       headers={"WWW-Authenticate": "Bearer"})


@router.get("/metrics", include_in_schema=False)
def metrics(db: DatabaseDep, settings: SettingsDep,
            authorization: str | None = Header(default=None)) -> Response:
    _check(settings.metrics_token, authorization)
    probe = None if settings.embedded else partial(queue_depth, settings.broker_url)
    return Response(page(db, settings, probe), media_type=CONTENT_TYPE)
