"""/docs (Swagger UI) and /redoc served from the installed package, so they work offline.

FastAPI's own pages load their JavaScript, CSS and favicon from public CDNs (and ReDoc its
fonts from Google): behind a firewall, or on a laptop on a train, /docs is a blank page. The
assets come from the `fastapi-offline` wheel, which ships Swagger UI's and ReDoc's
distribution files; only its files are used, not its app class.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs/assets"
# Swagger UI would send the schema's URL to validator.swagger.io for a badge: nothing leaves.
SWAGGER_PARAMETERS = {"validatorUrl": None}


def _asset_dir() -> Path:
    return Path(str(resources.files("fastapi_offline") / "static"))


def install(app: FastAPI) -> None:
    """Add /docs, /redoc and their assets; create the app with docs_url=redoc_url=None."""
    app.mount(ASSETS, StaticFiles(directory=_asset_dir()), name="docs-assets")
    title = f"{app.title} API"
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url, title=title,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
            swagger_ui_parameters=SWAGGER_PARAMETERS)

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(openapi_url=openapi_url, title=title,
                              redoc_js_url=f"{ASSETS}/redoc.standalone.js",
                              redoc_favicon_url=f"{ASSETS}/favicon.png",
                              with_google_fonts=False)
