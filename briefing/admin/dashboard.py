"""/admin: today's and tomorrow's editions per list, live; the scheduler, work waiting, a
throttling pause with the server's reply, feeds in error."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from briefing.admin.pages import render, settings_of
from briefing.admin.session import PATH, ViewerDep
from briefing.backoffice.dashboard import dashboard

router = APIRouter(prefix=PATH, include_in_schema=False)


@router.get("", response_class=HTMLResponse)
def home(request: Request, viewer: ViewerDep) -> HTMLResponse:
    board = dashboard(request.app.state.db, settings_of(request))
    return render(request, "dashboard.html", viewer, title="Dashboard", board=board)


@router.get("/fragments/editions", response_class=HTMLResponse)
def editions_fragment(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """The editions block alone, for the page's live refresh."""
    board = dashboard(request.app.state.db, settings_of(request))
    return render(request, "dashboard_editions.html", viewer, board=board)
