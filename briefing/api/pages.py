"""The public HTML pages: sign-up form, confirmation and unsubscribe links, one-click.

No page changes anything on a GET: the mail gateways that open every link in a message must
neither confirm a sign-up the address's owner never made nor end a subscription. The links
show a page whose button POSTs (CSRF-protected); only the one-click unsubscribe POST of
RFC 8058 acts without one. The reader's preferences page (api/preferences.py) is served
through this module's router; what all these pages share is in api/webpage.py.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from briefing.api import preferences, webpage
from briefing.api.webpage import (
    SECURITY_HEADERS,
    PageError,
    check_csrf,
    form_page,
    known_list,
    limit,
    page,
    token_problem,
)
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import ConsentSource, MailingList
from briefing.core.work import after_commit
from briefing.mail.addresses import MAX_PERSON_NAME_CHARS, parse_address, person_name
from briefing.subscribers.signed_links import TokenError
from briefing.subscribers.subscriptions import (
    Outcome,
    TokenOutcome,
    confirm,
    peek_confirm,
    peek_unsubscribe,
    sign_up,
    unsubscribe,
)
from briefing.web import ratelimit
from briefing.web.deps import DatabaseDep, SettingsDep
from workers import dispatch

ONE_CLICK = "One-Click"

router = APIRouter(include_in_schema=False)
router.include_router(preferences.router)
FormText = Annotated[str, Form()]
OptionalText = Annotated[str | None, Form()]
install = webpage.install  # app.py installs the problem page through this module


# ---------------------------------------------------------------- sign-up


def _form(request: Request, settings: Settings, mailing_list: MailingList, *, status: int = 200,
          email: str = "", name: str = "", errors: dict[str, str] | None = None
          ) -> HTMLResponse:
    return form_page(request, settings, "subscribe.html", status,
                     title=f"Subscribe to {mailing_list.name}", list=mailing_list,
                     action=f"/subscribe/{quote(mailing_list.slug)}", email=email, name=name,
                     errors=errors or {})


@router.get("/subscribe/{slug}", response_class=HTMLResponse)
def subscribe_form(slug: str, request: Request, db: DatabaseDep,
                   settings: SettingsDep) -> HTMLResponse:
    limit(request)
    return _form(request, settings, known_list(db, slug))


def _input_problems(email: str, name: str) -> dict[str, str]:
    """Field → what is wrong with it (checked here, before the core, to name the field)."""
    problems = {}
    try:
        parse_address(email)
    except InputError:
        problems["email"] = "Please enter a valid email address, such as name@example.com."
    try:
        person_name(name)
    except InputError as exc:
        problems["name"] = f"Please shorten your name: the {exc}."
    return problems


@router.post("/subscribe/{slug}", response_class=HTMLResponse)
def subscribe(slug: str, request: Request, db: DatabaseDep, settings: SettingsDep,
              background: BackgroundTasks, email: FormText = "", name: FormText = "",
              csrf_token: FormText = "", timezone: FormText = "") -> HTMLResponse:
    limit(request)
    check_csrf(request, csrf_token, settings)
    mailing_list = known_list(db, slug)
    problems = _input_problems(email, name)
    if problems:
        return _form(request, settings, mailing_list, status=400, email=email[:320],
                     name=name[:MAX_PERSON_NAME_CHARS], errors=problems)
    signup = sign_up(db, mailing_list.slug, email, name, settings, source=ConsentSource.FORM,
                     ip=ratelimit.client_address(request), timezone=timezone[:64])
    if signup.send_confirmation:
        # After the response (and the commit): no timing difference between new and known.
        background.add_task(after_commit, dispatch.send_confirmations, [signup.subscription_id])
    # The same page whether the address was new, pending, active or gone: no enumeration.
    return page("check_inbox.html", title="Check your inbox", list=mailing_list)


# ---------------------------------------------------------------- confirm


CONFIRM_HINT = "Sign up again on the list's page to get a fresh confirmation email."


def _confirmed(outcome: TokenOutcome) -> HTMLResponse:
    already = outcome.outcome == Outcome.ALREADY
    return page("confirmed.html", title="Already confirmed" if already else "Confirmed",
                already=already, list_name=outcome.list_name, email=outcome.email)


def _confirm_form(request: Request, settings: Settings, token: str, outcome: TokenOutcome, *,
                  status: int = 200, name: str | None = None, error: str = "") -> HTMLResponse:
    return form_page(request, settings, "confirm.html", status, title="Confirm your "
                     "subscription", list_name=outcome.list_name, email=outcome.email,
                     name=outcome.name if name is None else name, error=error,
                     action=f"/confirm/{quote(token, safe='')}")


def _peek(db: Database, token: str, settings: Settings) -> TokenOutcome:
    try:
        return peek_confirm(db, token, settings)
    except TokenError as exc:
        raise token_problem(exc, CONFIRM_HINT) from None


@router.get("/confirm/{token}", response_class=HTMLResponse)
def confirm_form(token: str, request: Request, db: DatabaseDep,
                 settings: SettingsDep) -> HTMLResponse:
    """Asks; changes nothing (mail gateways open every link, and must not confirm)."""
    limit(request)
    outcome = _peek(db, token, settings)
    if outcome.outcome == Outcome.ALREADY:
        return _confirmed(outcome)
    return _confirm_form(request, settings, token, outcome)


@router.post("/confirm/{token}", response_class=HTMLResponse)
def confirmed(token: str, request: Request, db: DatabaseDep, settings: SettingsDep,
              csrf_token: FormText = "", name: OptionalText = None) -> HTMLResponse:
    limit(request)
    check_csrf(request, csrf_token, settings)
    try:
        outcome = confirm(db, token, settings, name=name)
    except TokenError as exc:
        raise token_problem(exc, CONFIRM_HINT) from None
    except InputError as exc:  # the name: nothing was confirmed, the page asks again
        return _confirm_form(request, settings, token, _peek(db, token, settings), status=400,
                             name=(name or "")[:MAX_PERSON_NAME_CHARS],
                             error=f"Please shorten your name: the {exc}.")
    return _confirmed(outcome)


# ---------------------------------------------------------------- unsubscribe

UNSUBSCRIBE_HINT = ("Use the unsubscribe link in a more recent email from the list, "
                    "or reply to one of its emails.")


@router.get("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_form(token: str, request: Request, db: DatabaseDep,
                     settings: SettingsDep) -> HTMLResponse:
    """Asks; changes nothing (mail scanners open links)."""
    limit(request)
    try:
        outcome = peek_unsubscribe(db, token, settings)
    except TokenError as exc:
        raise token_problem(exc, UNSUBSCRIBE_HINT) from None
    return form_page(request, settings, "unsubscribe.html", title="Unsubscribe",
                     list_name=outcome.list_name, email=outcome.email,
                     already=outcome.outcome == Outcome.ALREADY,
                     action=f"/unsubscribe/{quote(token, safe='')}",
                     preferences_url=preferences.preferences_path(token))


def _unsubscribe(db: Database, token: str, settings: Settings, scope: str) -> HTMLResponse:
    try:
        outcome = unsubscribe(db, token, settings, everywhere=scope == "all")
    except TokenError as exc:
        raise token_problem(exc, UNSUBSCRIBE_HINT) from None
    return page("unsubscribed.html", title="Unsubscribed", scope=scope,
                list_name=outcome.list_name, email=outcome.email,
                lists_left=outcome.lists_left,
                subscribe_url=f"/subscribe/{quote(outcome.list_slug)}",
                preferences_url=preferences.preferences_path(token))


@router.post("/unsubscribe/{token}", response_class=HTMLResponse)
def unsubscribe_confirmed(token: str, request: Request, db: DatabaseDep, settings: SettingsDep,
                          scope: FormText = "", csrf_token: FormText = "") -> HTMLResponse:
    limit(request)
    check_csrf(request, csrf_token, settings)
    if scope not in ("list", "all"):
        raise PageError(400, "Please try again", "Choose one of the buttons on the page.")
    return _unsubscribe(db, token, settings, scope)


# ---------------------------------------------------------------- one-click (RFC 8058)


@router.get("/u/{token}")
def one_click_link(token: str, request: Request) -> Response:
    """A person clicking the List-Unsubscribe URL gets the page that asks."""
    limit(request, "one_click_limiter")
    return RedirectResponse(f"/unsubscribe/{quote(token, safe='')}", 303,
                            headers=SECURITY_HEADERS)


@router.post("/u/{token}", response_class=HTMLResponse)
def one_click(token: str, request: Request, db: DatabaseDep, settings: SettingsDep,
              list_unsubscribe: Annotated[str, Form(alias="List-Unsubscribe")] = ""
              ) -> HTMLResponse:
    """The mail provider's POST: no cookie, no CSRF token; the signed token is enough."""
    limit(request, "one_click_limiter")
    if list_unsubscribe != ONE_CLICK:
        raise PageError(400, "Not a one-click request", "This address takes the one-click "
                        "unsubscribe request that mail programs send.",
                        "To unsubscribe yourself, open the link in a browser.")
    return _unsubscribe(db, token, settings, "list")
