"""/admin/login and /admin/logout."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from briefing.accounts.sessions import end_session
from briefing.accounts.signin import SignInBlocked, SignInRefused, sign_in
from briefing.admin.forms import FormText
from briefing.admin.pages import check_form, render, see_other, settings_of
from briefing.admin.session import (
    PATH,
    SignedOut,
    clear_cookie,
    current_viewer,
    lifetime,
    set_cookie,
)
from briefing.web.ratelimit import client_address

router = APIRouter(prefix=PATH, include_in_schema=False)


def _safe_next(raw: str) -> str:
    # Only our own admin pages: never another site ("//evil", "/\\evil") after signing in.
    if raw.startswith(PATH) and not raw.startswith(("//", "/\\")) and "\\" not in raw:
        return raw
    return PATH


def _form(request: Request, *, email: str = "", next_path: str = PATH, error: str = "",
          status: int = 200, notice: str = "") -> HTMLResponse:
    return render(request, "login.html", None, status=status, title="Sign in", email=email,
                  next_path=_safe_next(next_path), error=error, notice=notice)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = PATH, signed_out: str = "") -> Response:
    try:
        current_viewer(request)
        return see_other(_safe_next(next))
    except SignedOut:
        notice = "You have signed out." if signed_out else ""
        return _form(request, next_path=next, notice=notice)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, email: FormText = "", password: FormText = "",
          next: FormText = PATH, csrf_token: FormText = "") -> Response:
    check_form(request, csrf_token)
    settings, db = settings_of(request), request.app.state.db
    try:
        _, token = sign_in(db, email, password, client_address(request), lifetime(settings))
    except SignInRefused as exc:
        status = 429 if isinstance(exc, SignInBlocked) else 400
        return _form(request, email=email[:320], next_path=next, error=str(exc), status=status)
    response = see_other(_safe_next(next))
    set_cookie(response, token, settings)
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: FormText = "") -> Response:
    check_form(request, csrf_token)
    with contextlib.suppress(SignedOut):
        end_session(request.app.state.db, current_viewer(request).token)
    response = see_other(f"{PATH}/login?signed_out=1")
    clear_cookie(response, settings_of(request))
    return response
