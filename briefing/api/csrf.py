"""CSRF protection for the public forms: a double-submit cookie.

The page that shows a form sets a random token in an HttpOnly, SameSite=Lax cookie and puts
the same value in a hidden field. Another site can make a browser POST our form, but it can
neither read the cookie nor set it, so it cannot send a matching pair. The one-click
unsubscribe POST (RFC 8058) is deliberately not checked: mail providers send it without
cookies, and its signed token is the authority.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response

COOKIE = "briefing_csrf"
FIELD = "csrf_token"
MAX_AGE = 2 * 60 * 60  # seconds: long enough to fill in a form, short enough to go stale


class CsrfError(Exception):
    """The form's token is missing or does not match the cookie."""


def _well_formed(token: str | None) -> bool:
    return bool(token) and 20 <= len(token or "") <= 100 and (token or "").isascii()


def token_for(request: Request) -> str:
    """The browser's current token (so two open tabs both work), or a fresh one."""
    current = request.cookies.get(COOKIE)
    return current if current and _well_formed(current) else secrets.token_urlsafe(32)


def set_cookie(response: Response, token: str, *, secure: bool) -> None:
    response.set_cookie(COOKIE, token, max_age=MAX_AGE, path="/", httponly=True,
                        samesite="lax", secure=secure)


def verify(request: Request, submitted: str) -> None:
    cookie = request.cookies.get(COOKIE, "")
    if not (_well_formed(cookie) and _well_formed(submitted)):
        raise CsrfError("missing form token")
    # Constant time, so a guess's timing says nothing about how much of it was right.
    if not hmac.compare_digest(cookie.encode(), submitted.encode()):
        raise CsrfError("form token does not match")
