"""Editions over HTTP: send now, dry run, test copy, preview, counts and the public archive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import EditionStatus
from briefing.editions.compose import build_edition
from briefing.editions.service import ensure_edition
from briefing.server import create_app

AUTH = {"Authorization": "Bearer test-token"}
SEED = Path(__file__).resolve().parents[2] / "seeds" / "s400-turkey-ukraine.txt"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/lists", headers=AUTH, json={
            "slug": "daily", "name": "Daily Brief", "from_address": "news@example.org",
            "postal_address": "1 Main St"}).status_code == 201
        for email in ("ann@example.com", "bob@example.com"):
            assert client.post("/api/lists/daily/subscribers", headers=AUTH,
                               json={"email": email}).status_code == 201
        yield client


def add_news(client: TestClient) -> None:
    response = client.post("/api/articles", headers=AUTH, json={"text": SEED.read_text()})
    assert response.status_code == 201


def test_send_now_delivers_once_and_counts_show(client: TestClient, settings: Settings) -> None:
    add_news(client)
    dry = client.post("/api/lists/daily/send", headers=AUTH, json={"dry_run": True}).json()
    assert dry["articles"] == 1 and "Daily Brief" in dry["subject"]
    sent = client.post("/api/lists/daily/send", headers=AUTH, json={}).json()["edition"]
    assert sent["status"] == "sent" and sent["counts"]["sent"] == 2
    again = client.post("/api/lists/daily/send", headers=AUTH, json={}).json()["edition"]
    assert again["id"] == sent["id"] and again["counts"]["sent"] == 2
    assert len(list(settings.outbox_dir.glob("*.eml"))) == 2
    listed = client.get("/api/editions", headers=AUTH, params={"list": "daily"}).json()
    assert [e["id"] for e in listed] == [sent["id"]]
    assert client.get(f"/api/editions/{sent['id']}", headers=AUTH).json()["articles"] == 1
    assert client.get("/api/editions/999", headers=AUTH).status_code == 404


def test_a_day_without_news_is_an_empty_edition(client: TestClient, settings: Settings) -> None:
    edition = client.post("/api/lists/daily/send", headers=AUTH, json={}).json()["edition"]
    assert edition["status"] == "empty" and "no new articles" in edition["note"]
    assert not list(settings.outbox_dir.glob("*.eml"))


def test_test_copy_and_preview(client: TestClient, settings: Settings) -> None:
    assert client.get("/api/lists/daily/preview", headers=AUTH).status_code == 404
    add_news(client)
    copy = client.post("/api/lists/daily/send", headers=AUTH, json={"to": "me@example.org"})
    assert copy.status_code == 200 and "written" in copy.json()["test_copy"]
    assert client.get("/api/editions", headers=AUTH).json() == []
    preview = client.get("/api/lists/daily/preview", headers=AUTH)
    assert preview.status_code == 200 and "Turkey" in preview.text
    bad = client.post("/api/lists/daily/send", headers=AUTH, json={"to": "not-an-address"})
    assert bad.status_code == 422
    assert client.post("/api/lists/nope/send", headers=AUTH, json={}).status_code == 404


def test_public_archive_shows_sent_editions(client: TestClient) -> None:
    add_news(client)
    edition = client.post("/api/lists/daily/send", headers=AUTH, json={}).json()["edition"]
    index = client.get("/archive/daily")
    assert index.status_code == 200 and edition["edition_date"] in index.text
    page = client.get(f"/archive/daily/{edition['edition_date']}")
    assert page.status_code == 200 and "Turkey" in page.text
    assert "XBRIEFING" not in page.text  # no unfilled reader slots
    assert client.get("/archive/daily/2001-01-01").status_code == 404
    assert client.get("/archive/daily/yesterday").status_code == 404
    assert client.get("/archive/nope").status_code == 404


def test_deleting_a_list_with_editions_needs_force(client: TestClient) -> None:
    add_news(client)
    client.post("/api/lists/daily/send", headers=AUTH, json={})
    refused = client.delete("/api/lists/daily", headers=AUTH)
    assert refused.status_code == 409 and "editions" in refused.json()["error"]["message"]
    assert client.delete("/api/lists/daily", headers=AUTH,
                         params={"force": "true"}).status_code == 204
    assert client.get("/api/editions", headers=AUTH).json() == []


TRAM = SEED.parent / "city-tram-extension.txt"


def test_dry_run_and_preview_of_a_date_already_sent_show_what_was_sent(
        client: TestClient) -> None:
    add_news(client)
    sent = client.post("/api/lists/daily/send", headers=AUTH, json={}).json()["edition"]
    assert client.post("/api/articles", headers=AUTH,
                       json={"text": TRAM.read_text()}).status_code == 201
    for body in ({"dry_run": True}, {"dry_run": True, "date": sent["edition_date"]}):
        dry = client.post("/api/lists/daily/send", headers=AUTH, json=body).json()
        assert dry["already_sent"] is True, dry
        assert dry["edition"]["id"] == sent["id"] and dry["edition"]["status"] == "sent"
        assert dry["articles"] == 1 and dry["readers"] == 2
        assert dry["subject"] == sent["subject"]
        assert f"edition of {sent['edition_date']} was sent at" in dry["note"]
    preview = client.get("/api/lists/daily/preview", headers=AUTH,
                         params={"date": sent["edition_date"]})
    assert preview.status_code == 200 and preview.headers["X-Edition-Status"] == "sent"
    assert "Turkey" in preview.text and "tram" not in preview.text.lower()
    fresh = client.post("/api/lists/daily/send", headers=AUTH,
                        json={"dry_run": True, "date": "2031-01-01"}).json()
    assert fresh["already_sent"] is False and fresh["readers"] == 2


def test_a_test_copy_reply_counts_its_articles(client: TestClient) -> None:
    add_news(client)
    assert client.post("/api/articles", headers=AUTH,
                       json={"text": TRAM.read_text()}).status_code == 201
    copy = client.post("/api/lists/daily/send", headers=AUTH,
                       json={"to": "me@example.org"}).json()
    assert copy["articles"] == 2 and "Daily Brief" in copy["subject"]


@pytest.mark.parametrize("value", [0, 1, "false", "true", "no", None, [], {}])
def test_dry_run_must_be_a_json_boolean(client: TestClient, settings: Settings,
                                        value: object) -> None:
    add_news(client)
    answer = client.post("/api/lists/daily/send", headers=AUTH, json={"dry_run": value})
    assert answer.status_code == 422, answer.text
    assert "dry_run" in answer.text
    assert client.get("/api/editions", headers=AUTH).json() == []
    assert not list(settings.outbox_dir.glob("*.eml"))


def test_dry_run_while_the_edition_is_being_sent_says_how_far_it_got(
        client: TestClient, settings: Settings) -> None:
    add_news(client)
    db = Database(settings.database_url)
    try:
        edition_id, _ = ensure_edition(db, "daily")
        assert build_edition(db, edition_id, settings) == EditionStatus.SENDING  # none sent yet
    finally:
        db.dispose()
    dry = client.post("/api/lists/daily/send", headers=AUTH, json={"dry_run": True}).json()
    assert dry["already_sent"] is True and dry["edition"]["status"] == "sending"
    assert "is being sent: 0 of 2 readers so far" in dry["note"] and dry["readers"] == 2


def test_a_weekly_edition_has_its_own_archive_page_and_api_kind(
        client: TestClient, settings: Settings) -> None:
    from datetime import timedelta

    from briefing.core.models import Edition, EditionKind
    from briefing.editions.service import today_for
    from briefing.editions.weekly import week_monday
    from briefing.subscribers.lists import get_list

    db = Database(settings.database_url)
    assert client.post("/api/lists/daily/subscribers", headers=AUTH, json={
        "email": "weekly@example.com", "frequency": "weekly"}).status_code == 201
    add_news(client)
    mailing_list = get_list(db, "daily")
    monday = week_monday(today_for(mailing_list))
    with db.session() as session:
        weekly = Edition(list_id=mailing_list.id, edition_date=monday, kind=EditionKind.WEEKLY)
        session.add(weekly)
        session.flush()
        weekly_id = weekly.id
    assert build_edition(db, weekly_id, settings) == EditionStatus.SENDING
    shown = client.get(f"/api/editions/{weekly_id}", headers=AUTH).json()
    assert (shown["kind"], shown["counts"]["queued"]) == ("weekly", 1)
    page = client.get(f"/archive/daily/weekly/{monday}")
    assert page.status_code == 200 and "Turkey" in page.text
    assert f"Week of {(monday - timedelta(days=7)).strftime('%A')}" in page.text
    assert client.get(f"/archive/daily/{monday}").status_code == 404  # no daily that day
    assert client.get("/archive/daily/weekly/someday").status_code == 404
    db.dispose()
