"""Who is signed in: the session cookie, and the checks each route asks for.

The cookie holds the session's random token, signed (itsdangerous) so that a tampered value
is refused before the database is asked; the token's hash names a server-side session row
that sign-out deletes. HttpOnly, SameSite=Lax, Secure when BRIEFING_BASE_URL is https, and
scoped to /admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response

from briefing.accounts.roles import Area, may_change
from briefing.accounts.sessions import session_user
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import AdminRole
from briefing.subscribers.signed_links import Signer, TokenError

COOKIE = "briefing_admin"
PURPOSE = "admin-session"
PATH = "/admin"


class SignedOut(Exception):
    """No valid session: the person is sent to the sign-in page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class NotAllowed(Exception):
    """Signed in, but the role does not allow this change."""

    def __init__(self, role: AdminRole, area: Area) -> None:
        super().__init__(f"Your role ({role}) may not change {area}.")


@dataclass(frozen=True)
class Viewer:
    """The signed-in person, as pages need them."""

    id: int
    email: str
    role: AdminRole
    token: str  # the session token, for sign-out

    def can(self, area: str) -> bool:
        return may_change(self.role, Area(area))


def lifetime(settings: Settings) -> timedelta:
    return timedelta(hours=settings.admin_session_hours)


def set_cookie(response: Response, token: str, settings: Settings) -> None:
    value = Signer(settings.secret_key).sign(PURPOSE, {"t": token})
    response.set_cookie(COOKIE, value, max_age=int(lifetime(settings).total_seconds()),
                        path=PATH, httponly=True, samesite="lax",
                        secure=settings.base_url.startswith("https://"))


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(COOKIE, path=PATH, httponly=True, samesite="lax",
                           secure=settings.base_url.startswith("https://"))


def cookie_token(request: Request, settings: Settings) -> str | None:
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        payload = Signer(settings.secret_key).verify_within(
            PURPOSE, raw, max_age_seconds=int(lifetime(settings).total_seconds()))
    except TokenError:
        return None
    token = payload.get("t")
    return token if isinstance(token, str) else None


def _next_path(request: Request) -> str:
    path = request.url.path
    return path + (f"?{request.url.query}" if request.url.query else "")


def current_viewer(request: Request) -> Viewer:
    settings: Settings = request.app.state.settings
    db: Database = request.app.state.db
    token = cookie_token(request, settings)
    user = session_user(db, token) if token else None
    if user is None or token is None:
        raise SignedOut(_next_path(request) if request.method == "GET" else PATH)
    return Viewer(user.id, user.email, user.role, token)


ViewerDep = Annotated[Viewer, Depends(current_viewer)]


def login_url(next_path: str) -> str:
    return f"{PATH}/login?next={quote(next_path, safe='/')}"


def require(viewer: Viewer, area: Area) -> None:
    if not may_change(viewer.role, area):
        raise NotAllowed(viewer.role, area)
