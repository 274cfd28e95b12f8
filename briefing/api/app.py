"""The FastAPI application: thin routes over the core, one error shape, token-guarded /api/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Security

from briefing.api import articles, errors, feeds, health, summaries
from briefing.api.auth import AdminAuth, bearer
from briefing.api.limits import BodyLimit
from briefing.config import Settings, load_settings
from briefing.db import Database, ensure_schema
from workers.app import setup


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
    for module in (articles, summaries, feeds):
        router.include_router(module.router)
    return router


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app for `settings` (default: from the environment); uvicorn calls it as a factory."""
    settings = settings or load_settings()
    setup(settings)  # tasks (run eagerly in embedded mode) see the same settings
    app = FastAPI(title="briefing", version="0.1.0", lifespan=_lifespan,
                  summary="Ingest news articles and read their summaries.")
    app.state.settings = settings
    errors.install(app)
    app.include_router(_admin_router())
    app.include_router(health.router)
    # Added last, so it runs first: auth, then the body cap, then routing.
    app.add_middleware(BodyLimit, max_bytes=settings.max_article_bytes)
    app.add_middleware(AdminAuth, token=settings.api_token)
    return app
