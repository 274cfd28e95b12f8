"""/admin: today's and tomorrow's editions per list, live; the scheduler and the queue, work
waiting, a throttling pause with the server's reply, feeds in error."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from briefing.admin.pages import render, settings_of
from briefing.admin.session import PATH, ViewerDep
from briefing.backoffice.dashboard import Dashboard, dashboard
from briefing.core.config import Settings
from workers.probes import queue_depth

router = APIRouter(prefix=PATH, include_in_schema=False)


def _board(request: Request) -> Dashboard:
    settings: Settings = settings_of(request)
    probe = None if settings.embedded else partial(queue_depth, settings.broker_url)
    return dashboard(request.app.state.db, settings, probe)


@router.get("", response_class=HTMLResponse)
def home(request: Request, viewer: ViewerDep) -> HTMLResponse:
    board = _board(request)
    return render(request, "dashboard.html", viewer, title="Dashboard", board=board)


@router.get("/fragments/editions", response_class=HTMLResponse)
def editions_fragment(request: Request, viewer: ViewerDep) -> HTMLResponse:
    """The editions block alone, for the page's live refresh (no broker asked)."""
    board = dashboard(request.app.state.db, settings_of(request), None)
    return render(request, "dashboard_editions.html", viewer, board=board)
