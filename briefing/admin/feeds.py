"""/admin/feeds: each feed's last poll and error; poll one now; subscribe to another."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from briefing.accounts.roles import Area
from briefing.admin.forms import FormText
from briefing.admin.pages import check_form, not_found, render, see_other, settings_of
from briefing.admin.session import PATH, Viewer, ViewerDep, require
from briefing.core.errors import InputError
from briefing.core.work import after_commit
from briefing.ingest import feeds
from briefing.ingest.feedparse import FeedError
from briefing.ingest.fetch import FetchError
from workers import dispatch

router = APIRouter(prefix=f"{PATH}/feeds", include_in_schema=False)


def _page(request: Request, viewer: Viewer, *, notice: str = "", url: str = "",
          errors: dict[str, str] | None = None, status: int = 200) -> HTMLResponse:
    return render(request, "feeds.html", viewer, status=status, title="Feeds",
                  feeds=feeds.list_feeds(request.app.state.db), notice=notice, url=url,
                  errors=errors or {})


@router.get("", response_class=HTMLResponse)
def index(request: Request, viewer: ViewerDep, polled: int = 0, added: int = 0
          ) -> HTMLResponse:
    notice = ("Polling now: new entries appear among the articles shortly." if polled else
              "Subscribed." if added else "")
    return _page(request, viewer, notice=notice)


@router.post("", response_class=HTMLResponse)
def add(request: Request, viewer: ViewerDep, url: FormText = "",
        csrf_token: FormText = "") -> Response:
    check_form(request, csrf_token)
    require(viewer, Area.FEEDS)
    try:
        feeds.add_feed(request.app.state.db, url.strip(), settings_of(request))
    except (InputError, FetchError, FeedError, feeds.FeedExistsError) as exc:
        message = str(exc)[:1].upper() + str(exc)[1:]
        return _page(request, viewer, url=url[:2048], errors={"url": message}, status=400)
    return see_other(f"{PATH}/feeds?added=1")


@router.post("/{feed_id}/poll")
def poll_now(feed_id: int, request: Request, viewer: ViewerDep,
             csrf_token: FormText = "") -> Response:
    check_form(request, csrf_token)
    require(viewer, Area.FEEDS)
    if not any(feed.id == feed_id for feed in feeds.list_feeds(request.app.state.db)):
        raise not_found("such feed")
    after_commit(dispatch.poll_feeds, [feed_id])
    return see_other(f"{PATH}/feeds?polled={feed_id}#feed-{feed_id}")
