"""Bearer-token guard for the admin API (everything under /api/).

The check runs as ASGI middleware, before routing and body parsing, so a caller without the
token learns nothing: not whether a route exists, nor how its input is validated. The
`bearer` dependency only documents the scheme in OpenAPI.

Two kinds of token pass: BRIEFING_API_TOKEN (everything), and a person's own token
(`briefing users tokens add`, or the admin web app), which acts with that person's role: a
viewer's token can only read, an editor's changes articles, feeds and editions.
"""

from __future__ import annotations

import hmac
import re

from fastapi.security import HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from briefing.accounts.roles import Area, may_change
from briefing.accounts.tokens import TokenHolder, token_holder
from briefing.api.errors import error_response

ADMIN_PREFIX = "/api/"
# Public despite the prefix: the sign-up for sites with their own form (rate-limited instead).
PUBLIC_PATHS = frozenset({"/api/subscribe"})
CHALLENGE = {"WWW-Authenticate": "Bearer"}

bearer = HTTPBearer(auto_error=False, description="BRIEFING_API_TOKEN")


def token_problem(configured: str, authorization: str | None) -> str | None:
    """Why the request may not pass, or None when it carries the configured token."""
    if not configured:
        return ("the admin API takes personal tokens only (none was sent or it is not "
                "valid): BRIEFING_API_TOKEN is not set on the server")
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return "send the API token as 'Authorization: Bearer <BRIEFING_API_TOKEN>'"
    # Constant time, so the comparison leaks nothing about how much of a guess was right.
    if not hmac.compare_digest(given.strip().encode(), configured.encode()):
        return "the API token is wrong"
    return None


READING = frozenset({"GET", "HEAD", "OPTIONS"})
# Which area a change under /api/ belongs to, first match wins (see accounts.roles).
AREAS = (
    (re.compile(r"/api/lists/[^/]+/(send|preview|stories)"), Area.EDITIONS),
    (re.compile(r"/api/lists/[^/]+/.+|/api/subscribers(/.*)?"), Area.SUBSCRIBERS),
    (re.compile(r"/api/bounces(/.*)?"), Area.SUBSCRIBERS),  # undo gives readers back
    (re.compile(r"/api/lists(/.*)?"), Area.LISTS),
    (re.compile(r"/api/(articles|summaries)(/.*)?"), Area.ARTICLES),
    (re.compile(r"/api/feeds(/.*)?"), Area.FEEDS),
    (re.compile(r"/api/editions(/.*)?"), Area.EDITIONS),
)


def holder_may(holder: TokenHolder, method: str, path: str) -> bool:
    if method.upper() in READING:
        return True
    area = next((area for pattern, area in AREAS if pattern.fullmatch(path)), Area.USERS)
    return may_change(holder.role, area)


class AdminAuth:
    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        guarded = path == ADMIN_PREFIX.rstrip("/") or path.startswith(ADMIN_PREFIX)
        if guarded and path not in PUBLIC_PATHS:
            authorization = Headers(scope=scope).get("authorization")
            problem = token_problem(self.token, authorization)
            if problem:
                problem = await self._personal_problem(scope, authorization, problem)
            if problem:
                status = 403 if problem.startswith("this token") else 401
                await error_response(status, problem, headers=CHALLENGE)(scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _personal_problem(self, scope: Scope, authorization: str | None,
                                problem: str) -> str | None:
        """None when a person's token allows the request; else why not."""
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return problem
        holder = await run_in_threadpool(token_holder, scope["app"].state.db, given.strip())
        if holder is None:
            return problem
        if not holder_may(holder, scope.get("method", "GET"), scope["path"]):
            return f"this token acts for a {holder.role}, who may not change this"
        return None
