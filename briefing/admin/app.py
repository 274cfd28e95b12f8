"""Mounting the admin web app on the FastAPI app: its routers, its static files and its
answers for signed-out people, refused roles and problems."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
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


async def address_problem(request: Request, exc: Exception) -> Response:
    """An admin address that names nothing (`/admin/articles/abc`, a page that does not exist)
    or a form sent without its fields gets the admin's own page, never the API's JSON: the
    person is in a browser. Signed-out people are sent to sign in first, as everywhere."""
    viewer = _viewer_or_none(request)
    if viewer is None:
        return see_other(login_url(request.url.path))
    if isinstance(exc, RequestValidationError) and _only_path_errors(exc):
        return _not_found(request, viewer)
    if isinstance(exc, RequestValidationError):
        return render(request, "problem.html", viewer, status=422, title="Incomplete form",
                      message="The form was sent without all of its fields; nothing was changed."
                      " Go back, reload the page and send it again.")
    status = getattr(exc, "status_code", 404)
    if status == 405:
        return render(request, "problem.html", viewer, status=405, title="Not here",
                      message=f"{request.method} is not allowed on this page.")
    return _not_found(request, viewer)


def _only_path_errors(exc: RequestValidationError) -> bool:
    return all(error.get("loc", ("",))[0] == "path" for error in exc.errors())


def _not_found(request: Request, viewer: Viewer) -> HTMLResponse:
    return render(request, "problem.html", viewer, status=404, title="Not found",
                  message="There is nothing at this address. It may have been removed, or "
                  "the link is mistyped.")


def install(app: FastAPI) -> None:
    app.add_exception_handler(SignedOut, _signed_out)
    app.add_exception_handler(NotAllowed, _not_allowed)
    app.add_exception_handler(Problem, _problem)
    for module in (login, dashboard, lists, subscribers, imports, people, articles, feeds,
                   editions, users):
        app.include_router(module.router)
    app.mount("/admin/static", StaticFiles(directory=static_dir() / "admin"),
              name="admin-static")
