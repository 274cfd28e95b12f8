"""Mounting the admin web app on the FastAPI app: its routers, its static files and its
answers for signed-out people, refused roles and problems."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

from briefing.admin import (
    articles,
    dashboard,
    editions,
    feeds,
    imports,
    lists,
    login,
    people,
    subscribers,
    users,
)
from briefing.admin.pages import Problem, render, see_other
from briefing.admin.session import NotAllowed, SignedOut, Viewer, current_viewer, login_url
from briefing.core.resources import static_dir


async def _signed_out(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignedOut)
    return see_other(login_url(exc.next_path))


def _viewer_or_none(request: Request) -> Viewer | None:
    try:
        return current_viewer(request)
    except SignedOut:
        return None


async def _not_allowed(request: Request, exc: Exception) -> HTMLResponse:
    return render(request, "problem.html", _viewer_or_none(request), status=403,
                  title="Not allowed", message=f"{exc} Nothing was changed.")


async def _problem(request: Request, exc: Exception) -> HTMLResponse:
    assert isinstance(exc, Problem)
    return render(request, "problem.html", _viewer_or_none(request), status=exc.status,
                  title=exc.title, message=exc.message)


def install(app: FastAPI) -> None:
    app.add_exception_handler(SignedOut, _signed_out)
    app.add_exception_handler(NotAllowed, _not_allowed)
    app.add_exception_handler(Problem, _problem)
    for module in (login, dashboard, lists, subscribers, imports, people, articles, feeds,
                   editions, users):
        app.include_router(module.router)
    app.mount("/admin/static", StaticFiles(directory=static_dir() / "admin"),
              name="admin-static")
