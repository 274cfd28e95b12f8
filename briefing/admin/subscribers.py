"""/admin/lists/{slug}/subscribers: search and filter a list's readers a page at a time,
add one, export them all."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, TextIO, cast
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from briefing.accounts.roles import Area
from briefing.admin.forms import FormText
from briefing.admin.lists import load_list
from briefing.admin.pages import check_form, render, see_other
from briefing.admin.session import PATH, Viewer, ViewerDep, require
from briefing.backoffice.browse import readers
from briefing.core.errors import InputError
from briefing.core.models import ConsentSource, MailingList, SubscriptionStatus
from briefing.mail.addresses import parse_address, person_name
from briefing.subscribers.subscriptions import add_subscriber
from briefing.subscribers.transfer import export_csv

router = APIRouter(prefix=f"{PATH}/lists", include_in_schema=False)
SPOOL_BYTES = 4 * 1024 * 1024
STATUSES = [("", "any status")] + [(str(s), str(s)) for s in SubscriptionStatus]


def _status(raw: str) -> SubscriptionStatus | None:
    try:
        return SubscriptionStatus(raw) if raw else None
    except ValueError:
        return None


def _page(request: Request, viewer: Viewer, row: MailingList, *, status: str = "",
          q: str = "", after: str = "", errors: dict[str, str] | None = None,
          new: dict[str, str] | None = None, notice: str = "", code: int = 200) -> HTMLResponse:
    page = readers(request.app.state.db, row.id, status=_status(status), search=q[:320],
                   after=after[:320])
    return render(request, "subscribers.html", viewer, status=code,
                  title=f"Readers of {row.name}", row=row, page=page, status_filter=status,
                  q=q[:320], after=after, statuses=STATUSES, errors=errors or {},
                  new=new or {"email": "", "name": ""}, notice=notice)


@router.get("/{slug}/subscribers", response_class=HTMLResponse)
def index(slug: str, request: Request, viewer: ViewerDep, status: str = "", q: str = "",
          after: str = "", added: str = "") -> HTMLResponse:
    row = load_list(request.app.state.db, slug)
    notice = f"{added[:320]} is on the list." if added else ""
    return _page(request, viewer, row, status=status, q=q, after=after, notice=notice)


def _problems(email: str, name: str) -> dict[str, str]:
    problems = {}
    try:
        parse_address(email)
    except InputError:
        problems["email"] = "Enter a valid email address, such as name@example.com."
    try:
        person_name(name)
    except InputError as exc:
        problems["name"] = f"Shorten the name: the {exc}."
    return problems


@router.post("/{slug}/subscribers", response_class=HTMLResponse)
def add(slug: str, request: Request, viewer: ViewerDep, email: FormText = "",
        name: FormText = "", csrf_token: FormText = "") -> Response:
    """Add a reader whose consent the admin vouches for (recorded with source `admin`)."""
    check_form(request, csrf_token)
    require(viewer, Area.SUBSCRIBERS)
    db = request.app.state.db
    row = load_list(db, slug)
    errors = _problems(email, name)
    if not errors:
        try:
            add_subscriber(db, row.slug, email, name, source=ConsentSource.ADMIN)
        except InputError as exc:
            errors["email"] = str(exc)[:1].upper() + str(exc)[1:] + "."
    if errors:
        return _page(request, viewer, row, errors=errors, code=400,
                     new={"email": email[:320], "name": name[:200]})
    added = quote(parse_address(email).email, safe="@")
    return see_other(f"{PATH}/lists/{row.slug}/subscribers?added={added}")


@router.get("/{slug}/export.csv")
def export(slug: str, request: Request, viewer: ViewerDep, status: str = "") -> Response:
    """Every reader of the list as CSV (formula-injection safe; imports back)."""
    row = load_list(request.app.state.db, slug)
    spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed once sent)
        max_size=SPOOL_BYTES, mode="w+", encoding="utf-8", newline="")
    try:
        export_csv(request.app.state.db, row.id, cast(TextIO, spool), status=_status(status))
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return StreamingResponse(_chunks(cast(IO[str], spool)), media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition":
                                      f'attachment; filename="{row.slug}.csv"'})


def _chunks(spool: IO[str]) -> Iterator[str]:
    with spool:
        while chunk := spool.read(64 * 1024):
            yield chunk
