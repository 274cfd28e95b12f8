"""GET /metrics is for the operator's Prometheus only: absent without its token setting,
refused without the token, and never listed in the API's schema."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from briefing.server import create_app
from tests.support.databases import make_settings


def test_without_a_metrics_token_there_is_no_metrics_page(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", BRIEFING_API_TOKEN="api-token")
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 404
        # Not even the admin API's token opens it.
        assert client.get("/metrics", headers={"Authorization": "Bearer api-token"}
                          ).status_code == 404


def test_the_metrics_page_takes_only_its_own_token(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "var", BRIEFING_METRICS_TOKEN="m" * 20,
                             BRIEFING_API_TOKEN="api-token")
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 401
        for wrong in ("Bearer api-token", "Bearer " + "m" * 19, "Basic " + "m" * 20):
            answer = client.get("/metrics", headers={"Authorization": wrong})
            assert answer.status_code == 401, wrong
            assert answer.headers["www-authenticate"] == "Bearer"
        answer = client.get("/metrics", headers={"Authorization": "Bearer " + "m" * 20})
        assert answer.status_code == 200
        assert "# TYPE briefing_feeds_failing gauge" in answer.text
        assert "/metrics" not in client.get("/openapi.json").json()["paths"]
