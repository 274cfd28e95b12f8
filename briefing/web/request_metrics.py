"""Counting HTTP requests by route template (`/api/editions/{edition_id}`), method and status.

The template, not the path: a path per reader token or edition id would make a series per
reader. Requests that match no route (or that the admin API refuses before routing) share one
label, so scanners cannot add series either.
Outermost middleware, so refusals by the auth guard or the body cap are counted too.
"""

from __future__ import annotations

import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from briefing.core import metrics

UNMATCHED = "unmatched"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not metrics.recording():
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def noting_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting_status)
        finally:
            _count(scope, status[0], time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The matched route's path template, as the router left it in the scope. FastAPI keeps
    included routers apart, so the route itself knows only its path inside its router
    (`/editions/{edition_id}`); the full one (`/api/…`) is in its effective route context."""
    effective: Any = (scope.get("fastapi") or {}).get("effective_route_context")
    for found in (getattr(effective, "path", None), getattr(scope.get("route"), "path", None)):
        if isinstance(found, str):
            return found
    return UNMATCHED


def _count(scope: Scope, status: int, seconds: float) -> None:
    route = route_template(scope)
    method = scope["method"] if scope["method"] in METHODS else "other"
    metrics.count(metrics.HTTP_REQUESTS, route=route, method=method, status=str(status))
    metrics.observe(metrics.HTTP_SECONDS, seconds, route=route)
