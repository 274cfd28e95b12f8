"""The FastAPI application: the API's routes, the public pages and the admin, one error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from briefing import admin
from briefing.api import (
    archive,
    articles,
    bounces,
    docs,
    editions,
    errors,
    feeds,
    health,
    lists,
    metrics,
    pages,
    public,
    status,
    subscribers,
    summaries,
    testcopy,
    webhooks,
)
from briefing.api.auth import AdminAuth, bearer
from briefing.api.limits import BodyLimit, BodyTooLarge, StreamedRoute, body_too_large
from briefing.core.config import Settings, load_settings
from briefing.core.db import Database, ensure_schema
from briefing.core.metrics import start as start_metrics
from briefing.core.resources import static_dir
from briefing.subscribers.lists import ListNotFound
from briefing.web.ratelimit import RateLimiter
from briefing.web.request_metrics import RequestMetrics
from workers.app import setup

ONE_CLICK_FACTOR = 50


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    db = Database(app.state.settings.database_url)
    ensure_schema(db)
    app.state.db = db
    try:
        yield
    finally:
        db.dispose()


def _admin_router() -> APIRouter:
    # `bearer` only documents the scheme; AdminAuth enforces it before any routing happens.
    router = APIRouter(prefix="/api", dependencies=[Security(bearer)])
    for module in (articles, summaries, feeds, lists, subscribers, editions, status, bounces):
        router.include_router(module.router)
    return router


def _admin_pages_answer_in_html(app: FastAPI) -> None:
    """Validation errors and unknown addresses are answered in JSON by the API's handlers;
    under /admin the same errors get the admin's HTML page instead."""
    for error in (RequestValidationError, StarletteHTTPException):
        api_handler = app.exception_handlers[error]

        async def by_path(request: Request, exc: Exception, api_handler: Any = api_handler,
                          ) -> Response:
            path = request.url.path
            if (path == "/admin" or path.startswith("/admin/")) and not path.startswith(
                    "/admin/static/"):
                return await admin.address_problem(request, exc)
            response: Response = await api_handler(request, exc)
            return response

        app.add_exception_handler(error, by_path)


def served_app() -> FastAPI:
    """What `briefing serve` runs in each of its processes: the app for the environment's
    settings, recording its metrics beside the workers'."""
    settings = load_settings()
    start_metrics(settings.metrics_folder)
    return create_app(settings)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for `settings` (default: from the environment); uvicorn calls it as a factory."""
    settings = settings or load_settings()
    setup(settings)  # tasks (run eagerly in embedded mode) see the same settings
    app = FastAPI(title="briefing", version="0.1.0", lifespan=_lifespan,
                  summary="Ingest news articles, summarize them and mail daily briefings.",
                  docs_url=None, redoc_url=None)  # docs.install serves them, offline
    app.state.settings = settings
    # Per process: each API process counts on its own (see briefing.web.ratelimit).
    app.state.public_limiter = RateLimiter(settings.public_rate_limit)
    # Mail providers retry one-click POSTs and may send many from one address: generous.
    app.state.one_click_limiter = RateLimiter(settings.public_rate_limit * ONE_CLICK_FACTOR)
    errors.install(app)
    pages.install(app)
    app.add_exception_handler(ListNotFound, lists.list_not_found)  # an InputError, but a 404
    app.add_exception_handler(BodyTooLarge, body_too_large)
    app.include_router(_admin_router())
    app.include_router(public.router)
    app.include_router(pages.router)
    app.include_router(archive.router)
    app.include_router(testcopy.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(webhooks.router)
    docs.install(app)
    # The public pages' one script (the sign-up form's time zone), same origin only.
    app.mount("/static/web", StaticFiles(directory=static_dir() / "web"), name="web-static")
    admin.install(app)
    _admin_pages_answer_in_html(app)
    # Added last, so it runs first: auth, then the body cap, then routing.
    app.add_middleware(BodyLimit, max_bytes=settings.max_article_bytes, streamed=(
        StreamedRoute(r"/api/lists/[^/]+/import", settings.max_import_bytes,
                      "BRIEFING_MAX_IMPORT_BYTES"),
        # The admin's uploads are spooled to disk by the form parser; the article page
        # checks its own, smaller cap and says so next to the field.
        StreamedRoute(r"/admin/(lists/[^/]+/import|articles)", settings.max_import_bytes,
                      "BRIEFING_MAX_IMPORT_BYTES")))
    app.add_middleware(AdminAuth, token=settings.api_token)
    app.add_middleware(RequestMetrics)  # outermost: it sees the guards' refusals too
    return app
