"""/admin/editions and a list's edition page: preview exactly as mailed (desktop and phone
width), a test copy to yourself, send now, watch it go out, each reader's delivery with the
server's last reply, resume after a throttling pause, the archive link."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from briefing.accounts.roles import Area
from briefing.admin.forms import FormText
from briefing.admin.lists import load_list
from briefing.admin.pages import Problem, check_form, not_found, render, see_other, settings_of
from briefing.admin.session import PATH, Viewer, ViewerDep, require
from briefing.backoffice.browse import edition_deliveries
from briefing.backoffice.sending import resume_edition
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import DeliveryStatus, EditionStatus
from briefing.core.work import after_commit
from briefing.editions import service as editions
from briefing.editions.render import web_version
from briefing.editions.testcopy import send_test_copy
from briefing.mail.senders import MailError
from workers import dispatch

router = APIRouter(prefix=PATH, include_in_schema=False)
PAGE = 30
FINAL = (EditionStatus.SENT, EditionStatus.EMPTY)
STATUSES = [("", "any status")] + [(str(s), str(s)) for s in DeliveryStatus]
# The briefing's own HTML, framed by our page: its inline styles, images from anywhere
# (as a mail client would show them), no scripts, and only our pages may frame it.
PREVIEW_HEADERS = {
    "Content-Security-Policy": ("default-src 'none'; style-src 'unsafe-inline'; "
                                "img-src https: http: data:; frame-ancestors 'self'"),
    "X-Frame-Options": "SAMEORIGIN", "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def _day(raw: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Problem(400, "Not a date",
                      f"{raw[:40]!r} is not a date such as 2026-05-04.") from None


def _info(db: Database, edition_id: int) -> editions.EditionInfo:
    if 0 < edition_id < 2**31:
        try:
            return editions.edition_info(db, edition_id)
        except InputError:
            pass
    raise not_found("such edition")


@router.get("/editions", response_class=HTMLResponse)
def index(request: Request, viewer: ViewerDep, page: int = 1) -> HTMLResponse:
    page = max(1, min(page, 10_000))
    found = editions.list_editions(request.app.state.db, limit=PAGE + 1, offset=(page - 1) * PAGE)
    return render(request, "editions.html", viewer, title="Editions", found=found[:PAGE],
                  page=page, more=len(found) > PAGE)


def _progress_context(request: Request, info: editions.EditionInfo) -> dict[str, Any]:
    db, settings = request.app.state.db, settings_of(request)
    return {"info": info, "pause": editions.sending_paused(db, settings, info),
            "final": info.status in FINAL}


@router.get("/editions/{edition_id}", response_class=HTMLResponse)
def show(edition_id: int, request: Request, viewer: ViewerDep, status: str = "",
         after: int = 0, resumed: str = "") -> HTMLResponse:
    db = request.app.state.db
    info = _info(db, edition_id)
    wanted = DeliveryStatus(status) if status in {str(s) for s in DeliveryStatus} else None
    deliveries = edition_deliveries(db, info.id, status=wanted, after=max(0, after))
    return render(request, "edition.html", viewer, title=f"Edition {info.edition_date}",
                  deliveries=deliveries, status_filter=status if wanted else "",
                  statuses=STATUSES, after=after,
                  notice="Resumed: the senders go on now." if resumed else "",
                  **_progress_context(request, info))


@router.get("/editions/{edition_id}/progress", response_class=HTMLResponse)
def progress(edition_id: int, request: Request, viewer: ViewerDep) -> HTMLResponse:
    info = _info(request.app.state.db, edition_id)
    return render(request, "edition_progress.html", viewer, **_progress_context(request, info))


@router.post("/editions/{edition_id}/resume")
def resume(edition_id: int, request: Request, viewer: ViewerDep,
           csrf_token: FormText = "") -> Response:
    check_form(request, csrf_token)
    require(viewer, Area.EDITIONS)
    db, settings = request.app.state.db, settings_of(request)
    info = _info(db, edition_id)
    try:
        resume_edition(db, info.id, settings)
    except InputError as exc:
        raise Problem(409, "Nothing to resume", str(exc)) from None
    after_commit(lambda ids: dispatch.send_editions(ids, settings.send_concurrency), [info.id])
    return see_other(f"{PATH}/editions/{info.id}?resumed=1")


def _edition_page(request: Request, viewer: Viewer, slug: str, day: date | None, *,
                  notice: str = "", error: str = "", status: int = 200) -> HTMLResponse:
    db, settings = request.app.state.db, settings_of(request)
    row = load_list(db, slug)
    content = editions.edition_content(db, row.slug, settings, day)
    shown_day = day or editions.today_for(row)
    return render(request, "list_edition.html", viewer, status=status,
                  title=f"{row.name}: edition of {shown_day}", row=row, content=content,
                  day=shown_day, note=editions.built_note(content), notice=notice, error=error,
                  date_param=day.isoformat() if day else "")


@router.get("/lists/{slug}/edition", response_class=HTMLResponse)
def edition_page(slug: str, request: Request, viewer: ViewerDep, date: str = "") -> HTMLResponse:
    return _edition_page(request, viewer, slug, _day(date))


@router.get("/lists/{slug}/edition.html", response_class=HTMLResponse)
def preview(slug: str, request: Request, viewer: ViewerDep, date: str = "") -> HTMLResponse:
    """The briefing as readers get it (without a reader's name and links), for the frames."""
    db = request.app.state.db
    row = load_list(db, slug)
    content = editions.edition_content(db, row.slug, settings_of(request), _day(date))
    if content.rendered is None:
        return HTMLResponse("<p>No news for this edition yet.</p>", headers=PREVIEW_HEADERS)
    return HTMLResponse(web_version(content.rendered.html), headers=PREVIEW_HEADERS)


@router.post("/lists/{slug}/test-copy", response_class=HTMLResponse)
def test_copy(slug: str, request: Request, viewer: ViewerDep, date: FormText = "",
              csrf_token: FormText = "") -> HTMLResponse:
    """One copy to the signed-in person's own address; nothing is recorded."""
    check_form(request, csrf_token)
    require(viewer, Area.EDITIONS)
    day = _day(date)
    try:
        copy = send_test_copy(request.app.state.db, slug, viewer.email, settings_of(request), day)
    except (InputError, MailError) as exc:
        return _edition_page(request, viewer, slug, day, error=f"No test copy was sent: {exc}",
                             status=400)
    return _edition_page(request, viewer, slug, day, notice=(
        f"A test copy went to {viewer.email}: the mail server said {copy.reply}"))


@router.post("/lists/{slug}/send")
def send_now(slug: str, request: Request, viewer: ViewerDep, date: FormText = "",
             csrf_token: FormText = "") -> Response:
    """Build and send the edition now: once per list and date, however often it is asked."""
    check_form(request, csrf_token)
    require(viewer, Area.EDITIONS)
    db = request.app.state.db
    row = load_list(db, slug)
    edition_id, created = editions.ensure_edition(db, row.slug, _day(date))
    if created:
        after_commit(dispatch.build_editions, [edition_id])
    return see_other(f"{PATH}/editions/{edition_id}")
