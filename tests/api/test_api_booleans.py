"""Every boolean in a JSON request body takes JSON true or false and nothing else.

Read as booleans, `0`, `1`, `"no"` and `"false"` are guesses: `"dry_run": 0` once sent a real
edition. The fields are found in the app's own OpenAPI description, so a boolean added later
is checked too."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from briefing.core.config import Settings
from briefing.server import create_app

AUTH = {"Authorization": "Bearer test-token"}
NOT_BOOLEANS: list[Any] = [0, 1, "false", "true", "no", "yes", "on", 0.0]


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def boolean_body_fields(openapi: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(method, path, field) for each boolean property of each JSON request body."""
    schemas = openapi["components"]["schemas"]
    found = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
            properties = schemas.get(ref.rpartition("/")[2], {}).get("properties", {})
            found += [(method, path, name) for name, schema in properties.items()
                      if schema.get("type") == "boolean"]
    return found


def test_the_boolean_fields_are_found(client: TestClient) -> None:
    fields = {(path, name) for _, path, name in boolean_body_fields(client.app.openapi())}
    assert {("/api/lists/{slug}/send", "dry_run"), ("/api/articles", "markdown"),
            ("/api/lists/{slug}/subscribers", "active")} <= fields


@pytest.mark.parametrize("value", NOT_BOOLEANS)
def test_no_boolean_body_field_takes_a_non_boolean(client: TestClient, value: Any) -> None:
    for method, path, name in boolean_body_fields(client.app.openapi()):
        url = path.replace("{slug}", "daily").replace("{email}", "a@example.org")
        answer = client.request(method, url, headers=AUTH, json={name: value})
        assert answer.status_code == 422, (method, path, name, answer.text)
        assert f"body.{name}:" in answer.json()["error"]["message"], (path, answer.text)
