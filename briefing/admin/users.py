"""/admin/users: the people who run the briefing (admins add, re-role and remove them) and
each person's own API tokens (named, shown once, revocable)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from briefing.accounts import tokens, users
from briefing.accounts.roles import Area, parse_role
from briefing.accounts.users import UserNotFound
from briefing.admin.forms import FormText
from briefing.admin.pages import Problem, check_form, not_found, render, see_other
from briefing.admin.session import PATH, Viewer, ViewerDep, require
from briefing.core.errors import InputError
from briefing.core.models import AdminRole

router = APIRouter(prefix=f"{PATH}/users", include_in_schema=False)
ROLES = [(str(role), str(role)) for role in AdminRole]


def _page(request: Request, viewer: Viewer, *, status: int = 200, notice: str = "",
          errors: dict[str, str] | None = None, new: dict[str, str] | None = None,
          issued: tokens.IssuedToken | None = None) -> HTMLResponse:
    db = request.app.state.db
    return render(request, "users.html", viewer, status=status, title="Users", notice=notice,
                  users=users.all_users(db), my_tokens=tokens.user_tokens(db, viewer.id),
                  errors=errors or {}, new=new or {"email": "", "role": "viewer"},
                  roles=ROLES, issued=issued)


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


@router.get("", response_class=HTMLResponse)
def index(request: Request, viewer: ViewerDep, done: str = "") -> HTMLResponse:
    notices = {"added": "The user was added.", "role": "The role was changed.",
               "removed": "The user was removed.", "revoked": "The token was revoked."}
    return _page(request, viewer, notice=notices.get(done, ""))


@router.post("", response_class=HTMLResponse)
def add(request: Request, viewer: ViewerDep, email: FormText = "", role: FormText = "",
        password: FormText = "", csrf_token: FormText = "") -> Response:
    check_form(request, csrf_token)
    require(viewer, Area.USERS)
    new = {"email": email[:320], "role": role if role in {r for r, _ in ROLES} else "viewer"}
    try:
        chosen = parse_role(role)
        users.add_user(request.app.state.db, email, chosen, password)
    except InputError as exc:
        field = ("password" if "password" in str(exc) else
                 "role" if "role" in str(exc) else "email")
        return _page(request, viewer, status=400, errors={field: _sentence(exc)}, new=new)
    return see_other(f"{PATH}/users?done=added")


@router.post("/{user_id}/role")
def change_role(user_id: int, request: Request, viewer: ViewerDep, role: FormText = "",
                csrf_token: FormText = "") -> Response:
    check_form(request, csrf_token)
    require(viewer, Area.USERS)
    try:
        users.change_role(request.app.state.db, user_id, parse_role(role))
    except UserNotFound:
        raise not_found("such user") from None
    except InputError as exc:
        raise Problem(409, "Not changed", _sentence(exc)) from None
    return see_other(f"{PATH}/users?done=role")


@router.post("/{user_id}/remove")
def remove(user_id: int, request: Request, viewer: ViewerDep,
           csrf_token: FormText = "") -> Response:
    check_form(request, csrf_token)
    require(viewer, Area.USERS)
    try:
        users.remove_user(request.app.state.db, user_id)
    except UserNotFound:
        raise not_found("such user") from None
    except InputError as exc:
        raise Problem(409, "Not removed", _sentence(exc)) from None
    return see_other(f"{PATH}/users?done=removed")


@router.post("/me/tokens", response_class=HTMLResponse)
def issue(request: Request, viewer: ViewerDep, token_name: FormText = "",
          csrf_token: FormText = "") -> HTMLResponse:
    """Anyone may hold tokens; each acts with its holder's role. Shown on this page once."""
    check_form(request, csrf_token)
    try:
        issued = tokens.issue_token(request.app.state.db, viewer.id, token_name)
    except InputError as exc:
        return _page(request, viewer, status=400, errors={"token_name": _sentence(exc)})
    return _page(request, viewer, issued=issued)


@router.post("/me/tokens/{token_id}/revoke")
def revoke(token_id: int, request: Request, viewer: ViewerDep,
           csrf_token: FormText = "") -> Response:
    check_form(request, csrf_token)
    if not tokens.revoke_token(request.app.state.db, viewer.id, token_id):
        raise not_found("such token of yours")
    return see_other(f"{PATH}/users?done=revoked")
