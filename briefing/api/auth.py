"""Bearer-token guard for the admin API (everything under /api/).

The check runs as ASGI middleware, before routing and body parsing, so a caller without the
token learns nothing: not whether a route exists, nor how its input is validated. The
`bearer` dependency only documents the scheme in OpenAPI.
"""

from __future__ import annotations

import hmac

from fastapi.security import HTTPBearer
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from briefing.api.errors import error_response

ADMIN_PREFIX = "/api/"
# Public despite the prefix: the sign-up for sites with their own form (rate-limited instead).
PUBLIC_PATHS = frozenset({"/api/subscribe"})
CHALLENGE = {"WWW-Authenticate": "Bearer"}

bearer = HTTPBearer(auto_error=False, description="BRIEFING_API_TOKEN")


def token_problem(configured: str, authorization: str | None) -> str | None:
    """Why the request may not pass, or None when it carries the configured token."""
    if not configured:
        return "the admin API is disabled: set BRIEFING_API_TOKEN on the server"
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return "send the API token as 'Authorization: Bearer <BRIEFING_API_TOKEN>'"
    # Constant time, so the comparison leaks nothing about how much of a guess was right.
    if not hmac.compare_digest(given.strip().encode(), configured.encode()):
        return "the API token is wrong"
    return None


class AdminAuth:
    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        guarded = path == ADMIN_PREFIX.rstrip("/") or path.startswith(ADMIN_PREFIX)
        if guarded and path not in PUBLIC_PATHS:
            problem = token_problem(self.token, Headers(scope=scope).get("authorization"))
            if problem:
                await error_response(401, problem, headers=CHALLENGE)(scope, receive, send)
                return
        await self.app(scope, receive, send)
