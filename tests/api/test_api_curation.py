"""A list's sources and today's stories over HTTP: rules, tags, ranking, hostile input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from briefing.core.config import Settings
from briefing.server import create_app
from tests.support.stories import BRIDGE, OTHER_NEWS

AUTH = {"Authorization": "Bearer test-token"}


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


def create(client: TestClient, **fields: object) -> dict[str, object]:
    response = client.post("/api/lists", headers=AUTH, json={
        "slug": "city", "name": "City", "from_address": "city@example.org", **fields})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def test_rules_are_set_replaced_part_by_part_and_cleared(client: TestClient) -> None:
    made = create(client, locale="fr-CH", rules={
        "tags": ["City"], "include": ['bridge "river bridge"'], "language": "English",
        "weights": {"Harbour Herald": 2}})
    assert made["locale"] == "fr_CH"
    assert made["rules"] == {"tags": ["city"], "include": ["bridge", "river bridge"],
                             "language": "en", "weights": {"Harbour Herald": 2.0}}
    changed = client.patch("/api/lists/city", headers=AUTH,
                           json={"rules": {"include": [], "exclude": ["ferry"]}}).json()
    assert changed["rules"] == {"tags": ["city"], "exclude": ["ferry"], "language": "en",
                                "weights": {"Harbour Herald": 2.0}}
    cleared = client.patch("/api/lists/city", headers=AUTH,
                           json={"rules": {"clear": True}}).json()
    assert cleared["rules"] == {}


@pytest.mark.parametrize(("rules", "status"), [
    ({"tags": ["x" * 51]}, 422),
    ({"tags": ["t"] * 21}, 422),
    ({"weights": {"Herald": 11}}, 422),
    ({"feeds": [0]}, 422),
    ({"feeds": [4242]}, 422),
    ({"language": "klingonese"}, 422),
    ({"include": ['"unclosed']}, 422),
    ({"colour": "red"}, 422),
    ({"include": "bridge"}, 422),
])
def test_bad_rules_are_refused_and_the_list_keeps_its_own(client: TestClient,
                                                          rules: dict[str, object],
                                                          status: int) -> None:
    create(client, rules={"tags": ["city"]})
    response = client.patch("/api/lists/city", headers=AUTH, json={"rules": rules})
    assert response.status_code == status, response.text
    assert client.get("/api/lists/city", headers=AUTH).json()["rules"] == {"tags": ["city"]}


def test_tagged_articles_make_the_lists_stories(client: TestClient) -> None:
    create(client, rules={"tags": ["city"]})
    for piece in BRIDGE:
        response = client.post("/api/articles", headers=AUTH, json={
            "text": piece.text, "title": piece.title, "tags": ["City", "Storm"]})
        assert response.status_code == 201 and response.json()["tags"] == ["city", "storm"]
    assert client.post("/api/articles", headers=AUTH, json={
        "text": OTHER_NEWS[0].text, "title": OTHER_NEWS[0].title}).status_code == 201
    stories = client.get("/api/lists/city/stories", headers=AUTH)
    assert stories.status_code == 200, stories.text
    (story,) = stories.json()["stories"]
    assert story["rank"] == 1 and story["top"] and len(story["articles"]) >= 1
    assert story["title"] in {p.title for p in BRIDGE}
    assert client.get("/api/lists/nope/stories", headers=AUTH).status_code == 404
    assert client.get("/api/lists/city/stories").status_code == 401
