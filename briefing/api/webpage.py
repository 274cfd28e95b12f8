"""What every public HTML page shares: security headers, the problem page, the per-client
limit, forms with their CSRF token and its check, and the answer to a broken signed link."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from briefing.api.lists import find_list
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import MailingList
from briefing.core.templating import environment
from briefing.mail.addresses import MAX_PERSON_NAME_CHARS
from briefing.subscribers.lists import ListNotFound
from briefing.subscribers.signed_links import TokenError
from briefing.web import csrf, ratelimit

# Tokens are in our URLs: no referrer may carry them to another site, and nothing but our
# own inline CSS, our own script files (no inline script) and our own forms is allowed.
# `same-origin`, not `no-referrer`: under no-referrer browsers send `Origin: null` with our
# own forms, and the CSRF check needs to see our origin there (see api/csrf.py).
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; "
                                "script-src 'self'; form-action 'self'; "
                                "frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class PageError(Exception):
    """Answered with the friendly problem page."""

    def __init__(self, status: int, title: str, message: str, hint: str = "",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.title, self.message, self.hint = status, title, message, hint
        self.headers = headers or {}


def page(template: str, status: int = 200, headers: dict[str, str] | None = None,
         **context: object) -> HTMLResponse:
    # Not templating.render: its `name` parameter would clash with the form's `name` field.
    html = environment().get_template(f"web/{template}").render(**context)
    return HTMLResponse(html, status, headers={**SECURITY_HEADERS, **(headers or {})})


async def _problem(_: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, PageError)
    return page("problem.html", exc.status, exc.headers, title=exc.title, message=exc.message,
                hint=exc.hint)


def install(app: FastAPI) -> None:
    app.add_exception_handler(PageError, _problem)


def limit(request: Request, limiter: str = "public_limiter") -> None:
    try:
        ratelimit.check(request, limiter)
    except ratelimit.RateLimited as exc:
        raise PageError(429, "Too many requests", "You have sent a lot of requests in a short "
                        "time.", f"Please wait {exc.retry_after} seconds and try again.",
                        {"Retry-After": str(exc.retry_after)}) from None


def check_csrf(request: Request, submitted: str, settings: Settings) -> None:
    try:
        csrf.verify(request, submitted, settings)
    except csrf.CrossSiteError:
        raise PageError(403, "Sent from another site", "This form was sent from a page that "
                        "is not ours, so nothing was changed.", "If you meant to send it, "
                        "open the link from our email again and use the button there.") from None
    except csrf.CsrfError:
        raise PageError(403, "Please try again", "This form has expired or was not sent from "
                        "our page, so nothing was changed.", "Go back, reload the page and "
                        "send the form again. Cookies must be enabled for this site.") from None


def token_problem(exc: TokenError, hint: str) -> PageError:
    if exc.expired:
        return PageError(410, "This link has expired", str(exc), hint)
    return PageError(400, "This link does not work", str(exc), hint)


def form_page(request: Request, settings: Settings, template: str, status: int = 200,
              **context: object) -> HTMLResponse:
    """A page with a form: its hidden CSRF field, and the cookie that field is signed for."""
    nonce = csrf.nonce_for(request)
    response = page(template, status, None, csrf_token=csrf.field_for(nonce, settings),
                    name_max=MAX_PERSON_NAME_CHARS, **context)
    csrf.set_cookie(response, nonce, secure=settings.base_url.startswith("https://"))
    return response


def known_list(db: Database, slug: str) -> MailingList:
    try:
        return find_list(db, slug)
    except ListNotFound:
        raise PageError(404, "No such list", "There is no mailing list at this address.",
                        "Check the link you followed.") from None
