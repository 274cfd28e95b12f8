"""The public HTML pages: sign-up form, confirmation and unsubscribe links, one-click.

No page changes anything on a GET except /confirm (its link is the reader's own, sent to
their inbox; the core makes it idempotent and bound to one nonce). Unsubscribing takes a
POST: mail scanners follow links, and must not end subscriptions by doing so.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from briefing.addresses import clean_name, parse_address
from briefing.api import csrf, ratelimit
from briefing.api.deps import DatabaseDep, SettingsDep, enqueue
from briefing.api.lists import find_list
from briefing.config import Settings
from briefing.db import Database
from briefing.lists import ListNotFound
from briefing.models import ConsentSource, MailingList
from briefing.subscriptions import Outcome, confirm, peek_unsubscribe, sign_up, unsubscribe
from briefing.templating import environment
from briefing.textnorm import InputError
from briefing.tokens import TokenError
from workers import dispatch

# Tokens are in our URLs: no referrer may carry them off, and nothing but our own inline CSS
# and our own forms is allowed on the page.
SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; "
                                "form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
ONE_CLICK = "One-Click"

router = APIRouter(include_in_schema=False)
FormText = Annotated[str, Form()]


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


def _limit(request: Request, limiter: str = "public_limiter") -> None:
    try:
        ratelimit.check(request, limiter)
    except ratelimit.RateLimited as exc:
        raise PageError(429, "Too many requests", "You have sent a lot of requests in a short "
                        "time.", f"Please wait {exc.retry_after} seconds and try again.",
                        {"Retry-After": str(exc.retry_after)}) from None


def _csrf(request: Request, submitted: str) -> None:
    try:
        csrf.verify(request, submitted)
    except csrf.CsrfError:
        raise PageError(403, "Please try again", "This form has expired or was not sent from "
                        "our page, so nothing was changed.", "Go back, reload the page and "
                        "send the form again. Cookies must be enabled for this site.") from None


def _token_problem(exc: TokenError, hint: str) -> PageError:
    if exc.expired:
        return PageError(410, "This link has expired", str(exc), hint)
    return PageError(400, "This link does not work", str(exc), hint)


def _with_csrf(response: HTMLResponse, token: str, settings: Settings) -> HTMLResponse:
    csrf.set_cookie(response, token, secure=settings.base_url.startswith("https://"))
    return response


def _find(db: Database, slug: str) -> MailingList:
    try:
        return find_list(db, slug)
    except ListNotFound:
        raise PageError(404, "No such list", "There is no mailing list at this address.",
                        "Check the link you followed.") from None


# ---------------------------------------------------------------- sign-up


def _form(request: Request, settings: Settings, mailing_list: MailingList, *, status: int = 200,
          email: str = "", name: str = "", errors: dict[str, str] | None = None
          ) -> HTMLResponse:
    token = csrf.token_for(request)
    response = page("subscribe.html", status, title=f"Subscribe to {mailing_list.name}",
                    list=mailing_list, action=f"/subscribe/{quote(mailing_list.slug)}",
                    csrf_token=token, email=email, name=name, errors=errors or {})
    return _with_csrf(response, token, settings)


@router.get("/subscribe/{slug}", response_class=HTMLResponse)
def subscribe_form(slug: str, request: Request, db: DatabaseDep,
                   settings: SettingsDep) -> HTMLResponse:
    _limit(request)
    return _form(request, settings, _find(db, slug))


def _input_problems(email: str, name: str) -> dict[str, str]:
    """Field → what is wrong with it (checked here, before the core, to name the field)."""
    problems = {}
    try:
        parse_address(email)
    except InputError:
        problems["email"] = "Please enter a valid email address, such as name@example.com."
    try:
        clean_name(name)
    except InputError as exc:
        problems["name"] = f"Please shorten your name: the {exc}."
    return problems


@router.post("/subscribe/{slug}", response_class=HTMLResponse)
def subscribe(slug: str, request: Request, db: DatabaseDep, settings: SettingsDep,
              background: BackgroundTasks, email: FormText = "", name: FormText = "",
              csrf_token: FormText = "") -> HTMLResponse:
    _limit(request)
    _csrf(request, csrf_token)
    mailing_list = _find(db, slug)
    problems = _input_problems(email, name)
    if problems:
        return _form(request, settings, mailing_list, status=400, email=email[:320],
                     name=name[:200], errors=problems)
    signup = sign_up(db, mailing_list.slug, email, name, settings, source=ConsentSource.FORM,
                     ip=ratelimit.client_address(request))
    if signup.send_confirmation:
        # After the response (and the commit): no timing difference between new and known.
        background.add_task(enqueue, dispatch.send_confirmations, [signup.subscription_id])
    # The same page whether the address was new, pending, active or gone: no enumeration.
    return page("check_inbox.html", title="Check your inbox", list=mailing_list)


# ---------------------------------------------------------------- confirm


@router.get("/confirm/{token}", response_class=HTMLResponse)
def confirmed(token: str, request: Request, db: DatabaseDep,
              settings: SettingsDep) -> HTMLResponse:
    _limit(request)
    try:
        outcome = confirm(db, token, settings)
    except TokenError as exc:
        raise _token_problem(exc, "Sign up again on the list's page to get a fresh "
                                  "confirmation email.") from None
    already = outcome.outcome == Outcome.ALREADY
    return page("confirmed.html", title="Already confirmed" if already else "Confirmed",
                already=already, list_name=outcome.list_name, email=outcome.email)


# ---------------------------------------------------------------- unsubscribe

UNSUBSCRIBE_HINT = ("Use the unsubscribe link in a more recent email from the list, "
                    "or reply to one of its emails.")


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_form(token: str, request: Request, db: DatabaseDep,
                     settings: SettingsDep) -> HTMLResponse:
    """Asks; changes nothing (mail scanners open links)."""
    _limit(request)
    try:
        outcome = peek_unsubscribe(db, token, settings)
    except TokenError as exc:
        raise _token_problem(exc, UNSUBSCRIBE_HINT) from None
    csrf_token = csrf.token_for(request)
    response = page("unsubscribe.html", title="Unsubscribe", list_name=outcome.list_name,
                    email=outcome.email, already=outcome.outcome == Outcome.ALREADY,
                    action=f"/unsubscribe/{quote(token, safe='')}", csrf_token=csrf_token)
    return _with_csrf(response, csrf_token, settings)


def _unsubscribe(db: Database, token: str, settings: Settings, scope: str) -> HTMLResponse:
    try:
        outcome = unsubscribe(db, token, settings, everywhere=scope == "all")
    except TokenError as exc:
        raise _token_problem(exc, UNSUBSCRIBE_HINT) from None
    return page("unsubscribed.html", title="Unsubscribed", scope=scope,
                list_name=outcome.list_name, email=outcome.email,
                lists_left=outcome.lists_left,
                subscribe_url=f"/subscribe/{quote(outcome.list_slug)}")


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_confirmed(token: str, request: Request, db: DatabaseDep, settings: SettingsDep,
                          scope: FormText = "", csrf_token: FormText = "") -> HTMLResponse:
    _limit(request)
    _csrf(request, csrf_token)
    if scope not in ("list", "all"):
        raise PageError(400, "Please try again", "Choose one of the buttons on the page.")
    return _unsubscribe(db, token, settings, scope)


# ---------------------------------------------------------------- one-click (RFC 8058)


@router.get("/u/{token}")
def one_click_link(token: str, request: Request) -> Response:
    """A person clicking the List-Unsubscribe URL gets the page that asks."""
    _limit(request, "one_click_limiter")
    return RedirectResponse(f"/unsubscribe/{quote(token, safe='')}", 303,
                            headers=SECURITY_HEADERS)


@router.post("/u/{token}", response_class=HTMLResponse)
def one_click(token: str, request: Request, db: DatabaseDep, settings: SettingsDep,
              list_unsubscribe: Annotated[str, Form(alias="List-Unsubscribe")] = ""
              ) -> HTMLResponse:
    """The mail provider's POST: no cookie, no CSRF token; the signed token is enough."""
    _limit(request, "one_click_limiter")
    if list_unsubscribe != ONE_CLICK:
        raise PageError(400, "Not a one-click request", "This address takes the one-click "
                        "unsubscribe request that mail programs send.",
                        "To unsubscribe yourself, open the link in a browser.")
    return _unsubscribe(db, token, settings, "list")
