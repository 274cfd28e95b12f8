"""docker-compose.yml starts again any service that exits: the second line of defence after
workers' own reconnecting (see tests/workers/test_broker_restart.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
# Both restart a container that exits with any status, until an operator stops it.
RESTARTS_ON_EXIT = {"always", "unless-stopped"}


def test_every_service_is_restarted_when_it_exits() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert {"api", "worker", "beat", "redis", "postgres"} <= set(services)
    policies = {name: service.get("restart") for name, service in services.items()}
    assert all(policy in RESTARTS_ON_EXIT for policy in policies.values()), policies
