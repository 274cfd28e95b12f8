"""HTTP requests are counted by route template, so a reader's token or an edition's id
never becomes a series of its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from briefing.core import metrics
from briefing.server import create_app
from tests.support.databases import make_settings

TOKEN = "m" * 24


@pytest.fixture
def recording(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "var" / "metrics"
    metrics.start(folder)
    yield folder
    metrics.stop()


def test_requests_are_counted_by_route_template_and_status(recording: Path,
                                                           tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", BRIEFING_METRICS_TOKEN=TOKEN)
    with TestClient(create_app(settings)) as client:
        auth = {"Authorization": "Bearer test-token"}
        for edition_id in (101, 102, 103):
            assert client.get(f"/api/editions/{edition_id}", headers=auth).status_code == 404
        client.get("/unsubscribe/some-reader-token")
        client.get("/no/such/page")
        page = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    assert ('briefing_http_requests_total{method="GET",route="/api/editions/{edition_id}",'
            'status="404"} 3.0') in page
    assert 'route="/unsubscribe/{token}"' in page
    assert "some-reader-token" not in page and "/no/such/page" not in page
    assert 'route="unmatched"' in page
    assert 'briefing_http_request_seconds_count{route="/api/editions/{edition_id}"} 3.0' in page
