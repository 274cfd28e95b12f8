"""/docs and /redoc work with no internet: every script, style and icon they load is served by
the running app itself (real uvicorn, real HTTP)."""

from __future__ import annotations

import re

import pytest

from tests.support.site import Site

REFERENCES = re.compile(r"""(?:src|href|spec-url)="([^"]+)"|url: '([^']+)'""")
EXPECTED = {".js": "javascript", ".css": "text/css", ".png": "image/png",
            ".json": "application/json"}


@pytest.mark.parametrize(("path", "loads"), [
    ("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")])
def test_the_api_docs_load_only_what_the_app_serves(site: Site, path: str, loads: str) -> None:
    page = site.http.get(path)
    assert page.status_code == 200, page.text
    assert "://" not in page.text  # no CDN, no web fonts, no validator badge
    urls = [a or b for a, b in REFERENCES.findall(page.text)]
    assert any(url.endswith(loads) for url in urls), urls
    assert "/openapi.json" in urls
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = site.http.get(url)
        assert asset.status_code == 200, url
        kind = next(v for k, v in EXPECTED.items() if url.endswith(k))
        assert kind in asset.headers["content-type"], (url, asset.headers["content-type"])
        assert len(asset.content) > 1000, url
