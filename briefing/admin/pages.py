"""Rendering admin pages: the shared layout's context, security headers, the CSRF field
(briefing.web.csrf: a signed token bound to a nonce cookie, plus the Origin and
Sec-Fetch-Site checks), and the answers for a refused form or a missing page."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from briefing.admin.session import Viewer
from briefing.core.config import Settings
from briefing.core.templating import environment
from briefing.web import csrf

# Our own stylesheet and script only; previews of a briefing are framed from our origin.
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Problem(Exception):
    """Answered with the admin's problem page."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def render(request: Request, template: str, viewer: Viewer | None, *, status: int = 200,
           title: str = "", **context: Any) -> HTMLResponse:
    """A page, with a fresh CSRF field for its forms and the cookie the field is signed for."""
    settings = settings_of(request)
    nonce = csrf.nonce_for(request)
    html = environment().get_template(f"admin/{template}").render(
        title=title, viewer=viewer, csrf_token=csrf.field_for(nonce, settings),
        path=request.url.path, **context)
    response = HTMLResponse(html, status, headers=HEADERS)
    csrf.set_cookie(response, nonce, secure=settings.base_url.startswith("https://"))
    return response


def check_form(request: Request, submitted: str) -> None:
    """Refuse a form another site sent, or one without a token signed for this browser."""
    try:
        csrf.verify(request, submitted, settings_of(request))
    except csrf.CrossSiteError:
        raise Problem(403, "Sent from another site", "This form was sent from a page that "
                      "is not ours, so nothing was changed.") from None
    except csrf.CsrfError:
        raise Problem(403, "Please try again", "This form has expired or was not sent from "
                      "our page, so nothing was changed. Go back, reload the page and send "
                      "it again.") from None


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, 303, headers=HEADERS)


def not_found(what: str) -> Problem:
    return Problem(404, "Not found", f"There is no {what} here.")
