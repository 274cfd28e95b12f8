"""CSRF protection for the public forms: where the request says it comes from, and a signed
token bound to the browser.

1. A browser names the page that sent a form: `Sec-Fetch-Site` (cross-site, same-site,
   same-origin or none) and `Origin`. A POST that says it came from another site, or from an
   origin other than BRIEFING_BASE_URL's (an opaque `null` included), is refused. Our pages
   use `Referrer-Policy: same-origin` so that browsers send our own origin: under
   `no-referrer` they send `Origin: null` even for our own forms.
2. The page that shows a form sets a random nonce in an HttpOnly, SameSite=Lax cookie and puts
   in a hidden field that nonce signed with the secret key and the time. Another site can
   neither read the cookie nor sign a field for it, and a pair that is merely equal (a cookie
   planted by a sibling subdomain, say) is not signed, so it fails.

The one-click unsubscribe POST (RFC 8058) is deliberately not checked: mail providers send it
from their servers, without cookies or an Origin of ours, and its signed token is the
authority.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from urllib.parse import urlsplit

from fastapi import Request, Response

from briefing.core.config import Settings
from briefing.subscribers.signed_links import CSRF, Signer, TokenError

COOKIE = "briefing_csrf"
FIELD = "csrf_token"
MAX_AGE = 2 * 60 * 60  # seconds: long enough to fill in a form, short enough to go stale
REFUSED_SITES = ("cross-site", "same-site")  # Sec-Fetch-Site values that are not our page
DEFAULT_PORTS = {"http": 80, "https": 443}

log = logging.getLogger(__name__)


class CsrfError(Exception):
    """The form's token is missing, stale, or not signed for this browser's cookie."""


class CrossSiteError(CsrfError):
    """The browser says the form was sent from a page that is not ours."""


def _well_formed(nonce: str | None) -> bool:
    return bool(nonce) and 20 <= len(nonce or "") <= 100 and (nonce or "").isascii()


def nonce_for(request: Request) -> str:
    """The browser's current nonce (so two open tabs both work), or a fresh one."""
    current = request.cookies.get(COOKIE)
    return current if current and _well_formed(current) else secrets.token_urlsafe(32)


def field_for(nonce: str, settings: Settings) -> str:
    """The hidden field's value: the nonce signed with the secret key and the time."""
    return Signer(settings.secret_key).sign(CSRF, {"c": nonce})


def set_cookie(response: Response, nonce: str, *, secure: bool) -> None:
    response.set_cookie(COOKIE, nonce, max_age=MAX_AGE, path="/", httponly=True,
                        samesite="lax", secure=secure)


def origin_of(url: str) -> str:
    """scheme://host[:port] as browsers write an Origin: lower case, no default port."""
    parts = urlsplit(url.strip())
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    if ":" in host:
        host = f"[{host}]"
    shown_port = f":{port}" if port is not None and port != DEFAULT_PORTS.get(scheme) else ""
    return f"{scheme}://{host}{shown_port}"


def check_origin(request: Request, settings: Settings) -> None:
    """Refuse a POST that the browser says another site sent; requests without these
    headers (old browsers, scripts) are left to the token."""
    site = request.headers.get("sec-fetch-site", "").strip().lower()
    if site in REFUSED_SITES:
        raise CrossSiteError(f"Sec-Fetch-Site: {site}")
    origin = request.headers.get("origin")
    if origin is None:
        return
    ours = origin_of(settings.base_url)
    if origin.strip().lower() == "null" or origin_of(origin) != ours:
        # Also what a wrong BRIEFING_BASE_URL looks like: say so to the operator.
        log.warning("refused a form sent from Origin %r: BRIEFING_BASE_URL's origin is %r",
                    origin[:200], ours)
        raise CrossSiteError(f"Origin: {origin[:200]}")


def verify(request: Request, submitted: str, settings: Settings) -> None:
    check_origin(request, settings)
    cookie = request.cookies.get(COOKIE, "")
    if not (_well_formed(cookie) and submitted):
        raise CsrfError("missing form token")
    try:
        payload = Signer(settings.secret_key).verify_within(CSRF, submitted,
                                                            max_age_seconds=MAX_AGE)
    except TokenError as exc:
        raise CsrfError(f"form token: {exc}") from None
    signed_for = payload.get("c")
    # Constant time, so a guess's timing says nothing about how much of it was right.
    if not (isinstance(signed_for, str)
            and hmac.compare_digest(signed_for.encode(), cookie.encode())):
        raise CsrfError("form token was issued for another browser")
