"""The Grafana dashboard and the Prometheus scrape config in ops/ match what /metrics serves:
a metric renamed in the code must not leave a panel silently empty."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from briefing.core.metrics import ALL
from briefing.operations.exposition import LIVE

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "ops" / "grafana" / "briefing.json"


def served_names() -> set[str]:
    names = set(LIVE)
    for metric in ALL:
        if metric.buckets is None:
            names.add(f"{metric.name}_total")
        else:
            names |= {f"{metric.name}_{part}" for part in ("bucket", "sum", "count")}
    return names


def test_every_dashboard_query_names_a_served_metric() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    queried = {name for panel in dashboard["panels"] for target in panel["targets"]
               for name in re.findall(r"\bbriefing_[a-z_]+", target["expr"])}
    assert queried, "the dashboard queries nothing"
    assert queried <= served_names(), queried - served_names()


def test_the_dashboard_shows_every_recorded_metric() -> None:
    text = DASHBOARD.read_text()
    missing = [metric.name for metric in ALL if metric.name not in text]
    assert not missing, missing


def test_prometheus_scrapes_the_api_with_the_metrics_token() -> None:
    config = yaml.safe_load((ROOT / "ops" / "prometheus" / "prometheus.yml").read_text())
    job = config["scrape_configs"][0]
    assert job["metrics_path"] == "/metrics"
    assert job["authorization"]["type"] == "Bearer"
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["prometheus"]["profiles"] == ["metrics"]
    assert compose["secrets"]["metrics_token"]["environment"] == "BRIEFING_METRICS_TOKEN"
