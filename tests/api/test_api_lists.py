"""The admin API for lists and subscribers, on SQLite and PostgreSQL, tasks run in-process."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from briefing.core.db import Database
from tests.api.test_api import AUTH, assert_error, client_for
from tests.support.databases import make_settings

LIST = {"slug": "daily", "name": "Daily Brief", "from_address": "news@example.org"}


@pytest.fixture
def client(tmp_path: Path, any_db: Database) -> Iterator[TestClient]:
    yield from client_for(make_settings(tmp_path / "var", BRIEFING_DATABASE_URL=any_db.url))


def post(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json=body, headers=AUTH)


def make_list(client: TestClient, slug: str = "daily", **fields: Any) -> dict[str, Any]:
    answer = post(client, "/api/lists", {**LIST, "slug": slug, **fields})
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def add(client: TestClient, email: str, slug: str = "daily", **fields: Any) -> Any:
    return post(client, f"/api/lists/{slug}/subscribers", {"email": email, **fields})


def emails(client: TestClient, slug: str = "daily", **params: Any) -> list[str]:
    page = client.get(f"/api/lists/{slug}/subscribers", params=params, headers=AUTH)
    assert page.status_code == 200, page.text
    return [item["email"] for item in page.json()["items"]]


# ---------------------------------------------------------------- lists


def test_list_is_created_shown_changed_and_deleted(client: TestClient) -> None:
    created = post(client, "/api/lists", {**LIST, "send_time": "06:30",
                                          "timezone": "Europe/Berlin", "max_articles": 5})
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/api/lists/daily"
    body = created.json()
    assert body["send_time"] == "06:30" and body["timezone"] == "Europe/Berlin"
    assert body["from_name"] == "Daily Brief"  # defaults to the list's name
    assert body["subscribers"] == {"pending": 0, "active": 0, "unsubscribed": 0,
                                   "bounced": 0, "complained": 0}
    assert [row["slug"] for row in client.get("/api/lists", headers=AUTH).json()] == ["daily"]

    changed = client.patch("/api/lists/daily", json={"name": "Morning", "reply_to": "r@ex.org"},
                           headers=AUTH)
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Morning" and changed.json()["send_time"] == "06:30"
    cleared = client.patch("/api/lists/daily", json={"reply_to": ""}, headers=AUTH).json()
    assert cleared["reply_to"] is None and cleared["name"] == "Morning"

    assert client.delete("/api/lists/daily", params={"force": "true"},
                         headers=AUTH).status_code == 204
    assert_error(client.get("/api/lists/daily", headers=AUTH), 404)
    assert_error(client.delete("/api/lists/daily", headers=AUTH), 404)


def test_counts_per_status_come_with_each_list(client: TestClient) -> None:
    make_list(client)
    add(client, "a@example.com")
    add(client, "b@example.com")
    add(client, "p@example.com", active=False)
    client.delete("/api/lists/daily/subscribers/b@example.com", headers=AUTH)
    counts = client.get("/api/lists/daily", headers=AUTH).json()["subscribers"]
    assert counts == {"pending": 1, "active": 1, "unsubscribed": 1, "bounced": 0,
                      "complained": 0}
    assert client.get("/api/lists", headers=AUTH).json()[0]["subscribers"] == counts


@pytest.mark.parametrize(("body", "status"), [
    ({**LIST, "slug": "Bad Slug"}, 422),
    ({**LIST, "timezone": "Mars/Olympus"}, 422),
    ({**LIST, "send_time": "25:00"}, 422),
    ({**LIST, "from_address": "nobody"}, 422),
    ({**LIST, "max_articles": 0}, 422),
    ({**LIST, "colour": "red"}, 422),
    ({"slug": "daily", "from_address": "news@example.org"}, 422),
    ({**LIST, "name": "   "}, 422),
    ({**LIST, "name": "x\x00y"}, 422),
])
def test_bad_list_settings_are_refused_with_json_errors(
        client: TestClient, body: dict[str, Any], status: int) -> None:
    assert_error(post(client, "/api/lists", body), status)
    assert client.get("/api/lists", headers=AUTH).json() == []


def test_a_taken_slug_is_a_conflict_and_unknown_lists_are_404(client: TestClient) -> None:
    make_list(client)
    assert_error(post(client, "/api/lists", LIST), 409)
    assert_error(client.patch("/api/lists/nope", json={"name": "x"}, headers=AUTH), 404)
    assert_error(client.patch("/api/lists/daily", json={"send_time": "noon"}, headers=AUTH),
                 422)
    assert_error(client.get("/api/lists/nope/subscribers", headers=AUTH), 404)
    assert_error(add(client, "a@example.com", slug="nope"), 404)


def test_a_list_is_found_by_its_slug_never_by_its_id(client: TestClient) -> None:
    daily = make_list(client)
    make_list(client, "2024")
    assert client.get("/api/lists/2024", headers=AUTH).json()["slug"] == "2024"
    assert_error(client.get(f"/api/lists/{daily['id']}", headers=AUTH), 404)
    assert_error(client.get("/api/lists/" + "9" * 40, headers=AUTH), 404)


# ---------------------------------------------------------------- subscribers


def test_api_adds_are_active_with_consent_source_api(client: TestClient) -> None:
    make_list(client)
    added = add(client, "Reader@Example.com", name="Rea Der")
    assert added.status_code == 201, added.text
    body = added.json()
    assert body["email"] == "Reader@example.com" and body["status"] == "active"
    assert body["consent_source"] == "api" and body["confirmed_at"]
    assert add(client, "reader@example.com").json()["status"] == "active"  # idempotent
    assert add(client, "later@example.com", active=False).json()["status"] == "pending"
    assert emails(client) == ["later@example.com", "Reader@example.com"]


def test_bad_subscriber_input_is_refused(client: TestClient) -> None:
    make_list(client)
    assert_error(add(client, "not-an-address"), 422)
    assert_error(add(client, "a@example.com", name="N" * 300), 422)
    assert_error(add(client, "a@example.com", colour="red"), 422)
    add(client, "left@example.com")
    assert client.delete("/api/lists/daily/subscribers/left@example.com",
                         headers=AUTH).status_code == 204
    refused = assert_error(add(client, "left@example.com"), 422)
    assert "sign up again" in refused
    assert_error(client.delete("/api/lists/daily/subscribers/left@example.com",
                               headers=AUTH), 404)
    assert_error(client.delete("/api/lists/daily/subscribers/bad", headers=AUTH), 422)


def test_a_reader_gets_a_weekly_day_and_topics_and_bad_ones_are_refused(
        client: TestClient) -> None:
    make_list(client, rules={"tags": ["markets", "science"]})
    added = add(client, "weekly@example.com", frequency="weekly:friday", topics=["Science"])
    assert added.status_code == 201, added.text
    assert (added.json()["frequency"], added.json()["topics"]) == ("weekly:friday", ["science"])
    page = client.get("/api/lists/daily/subscribers", headers=AUTH).json()["items"]
    assert [(i["frequency"], i["topics"]) for i in page] == [("weekly:friday", ["science"])]
    assert_error(add(client, "x@example.com", frequency="hourly"), 422)
    assert_error(add(client, "x@example.com", frequency="weekly:funday"), 422)
    refused = add(client, "x@example.com", topics=["gossip"])
    assert_error(refused, 422)
    assert "gossip" in refused.text and "markets" in refused.text
    assert_error(add(client, "x@example.com", topics=["<script>"] * 21), 422)
    assert emails(client) == ["weekly@example.com"]  # nobody half-added


def test_one_person_on_two_lists(client: TestClient) -> None:
    make_list(client)
    make_list(client, "weekly", name="Weekly")
    add(client, "both@example.com", name="Bo Th")
    add(client, "both@example.com", slug="weekly")
    client.delete("/api/lists/daily/subscribers/both@example.com", headers=AUTH)
    person = client.get("/api/subscribers/BOTH@example.com", headers=AUTH)
    assert person.status_code == 200, person.text
    data = person.json()
    assert data["email"] == "both@example.com" and data["name"] == "Bo Th"
    assert {(s["list"]["slug"], s["status"]) for s in data["subscriptions"]} == {
        ("daily", "unsubscribed"), ("weekly", "active")}

    assert client.delete("/api/subscribers/both@example.com", headers=AUTH).status_code == 204
    assert emails(client, "weekly") == [] and emails(client, "daily") == []
    assert_error(client.get("/api/subscribers/both@example.com", headers=AUTH), 404)
    assert_error(client.delete("/api/subscribers/both@example.com", headers=AUTH), 404)
    assert_error(client.get("/api/subscribers/not-an-address", headers=AUTH), 422)


def test_search_filters_and_pages(client: TestClient) -> None:
    make_list(client)
    for n in range(7):
        add(client, f"user{n}@example.com", name=f"Person {n}", active=n % 2 == 0)
    add(client, "ada@lovelace.org", name="Ada Lovelace")
    assert emails(client, search="LOVELACE") == ["ada@lovelace.org"]
    assert emails(client, search="person 3") == ["user3@example.com"]
    assert emails(client, search="lace.org") == ["ada@lovelace.org"]
    assert len(emails(client, status="pending")) == 3

    seen: list[str] = []
    for offset in range(0, 8, 3):
        page = client.get("/api/lists/daily/subscribers",
                          params={"limit": 3, "offset": offset}, headers=AUTH).json()
        assert page["total"] == 8 and page["limit"] == 3 and page["offset"] == offset
        seen += [item["email"] for item in page["items"]]
    assert len(seen) == len(set(seen)) == 8
    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"status": "happy"}):
        assert_error(client.get("/api/lists/daily/subscribers", params=bad, headers=AUTH), 422)


# ---------------------------------------------------------------- import / export


def test_import_reports_rejected_rows_with_their_line_numbers(client: TestClient) -> None:
    make_list(client)
    text = "email,name\nann@example.com,Ann\nnot-an-address,X\n\nbob@example.com,Bob\n"
    answer = client.post("/api/lists/daily/import", content=text.encode(),
                         headers={**AUTH, "Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["rows"], report["created"], report["rejected_count"]) == (3, 2, 1)
    assert report["rejected"][0]["line"] == 3 and "not-an-address" in report["rejected"][0][
        "reason"]
    assert emails(client, status="active") == ["ann@example.com", "bob@example.com"]


def test_import_as_a_multipart_upload_and_as_pending(client: TestClient) -> None:
    make_list(client)
    answer = client.post("/api/lists/daily/import", params={"status": "pending"},
                         files={"file": ("people.csv", b"Email\ncy@example.com\n", "text/csv")},
                         headers=AUTH)
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 1
    assert emails(client, status="pending") == ["cy@example.com"]


def test_import_refuses_what_it_cannot_read(client: TestClient) -> None:
    make_list(client)
    url = "/api/lists/daily/import"
    assert_error(client.post(url, json={"email": "a@example.com"}, headers=AUTH), 415)
    assert_error(client.post(url, files={"other": ("x.csv", b"email\n")}, headers=AUTH), 422)
    assert_error(client.post(url, content=b"name,phone\nAnn,1\n",
                             headers={**AUTH, "Content-Type": "text/csv"}), 422)
    assert_error(client.post("/api/lists/nope/import", content=b"email\na@example.com\n",
                             headers={**AUTH, "Content-Type": "text/csv"}), 404)
    assert_error(client.post(url, params={"status": "unsubscribed"}, content=b"email\n",
                             headers={**AUTH, "Content-Type": "text/csv"}), 422)
    assert emails(client) == []


@pytest.fixture
def small_caps(tmp_path: Path) -> Iterator[TestClient]:
    """Caps small enough to cross in a test: 10 kB for ordinary bodies, 200 kB for imports."""
    yield from client_for(make_settings(tmp_path / "var", BRIEFING_MAX_ARTICLE_BYTES="10000",
                                        BRIEFING_MAX_IMPORT_BYTES="200000"))


def people_csv(count: int) -> bytes:
    return ("email,name\n" + "".join(f"reader{n:06d}@example.com,Reader Number {n}\n"
                                     for n in range(count))).encode()


def in_chunks(data: bytes) -> Iterator[bytes]:
    """A body without Content-Length: sent chunked, so only counting can catch its size."""
    for start in range(0, len(data), 8192):
        yield data[start:start + 8192]


def test_an_import_larger_than_the_ordinary_body_cap_streams_through(
        small_caps: TestClient) -> None:
    make_list(small_caps)
    body = people_csv(3_000)  # ~130 kB: over the ordinary cap, under the import cap
    assert 10_000 < len(body) < 200_000
    answer = small_caps.post("/api/lists/daily/import", content=in_chunks(body),
                             headers={**AUTH, "Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 3_000
    upload = small_caps.post("/api/lists/daily/import", headers=AUTH,
                             files={"file": ("people.csv", body, "text/csv")})
    assert upload.status_code == 200, upload.text
    assert upload.json()["unchanged"] == 3_000
    # Everything else keeps the ordinary cap.
    assert_error(small_caps.post("/api/articles", content=b"x" * 20_000,
                                 headers={**AUTH, "Content-Type": "text/plain"}), 413)


@pytest.mark.parametrize("chunked", [False, True])
def test_an_import_over_its_cap_is_refused_and_imports_nothing(
        small_caps: TestClient, chunked: bool) -> None:
    make_list(small_caps)
    body = people_csv(6_000)  # ~260 kB
    answer = small_caps.post("/api/lists/daily/import",
                             content=in_chunks(body) if chunked else body,
                             headers={**AUTH, "Content-Type": "text/csv"})
    assert_error(answer, 413)
    assert "BRIEFING_MAX_IMPORT_BYTES" in answer.json()["error"]["message"]
    assert emails(small_caps) == []


def test_export_streams_csv_that_imports_back(client: TestClient) -> None:
    make_list(client)
    make_list(client, "copy")
    add(client, "ann@example.com", name="=cmd()")
    add(client, "pat@example.com", active=False)
    answer = client.get("/api/lists/daily/export", headers=AUTH)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="daily.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["email"], r["status"]) for r in rows] == [("ann@example.com", "active"),
                                                         ("pat@example.com", "pending")]
    assert rows[0]["name"] == "'=cmd()"  # a spreadsheet must not run it

    only = client.get("/api/lists/daily/export", params={"status": "pending"}, headers=AUTH)
    assert len(list(csv.DictReader(io.StringIO(only.text)))) == 1
    back = client.post("/api/lists/copy/import", content=answer.content,
                       headers={**AUTH, "Content-Type": "text/csv; charset=utf-8"}).json()
    assert back["created"] == 2 and back["rejected_count"] == 0
    assert_error(client.get("/api/lists/nope/export", headers=AUTH), 404)


# ---------------------------------------------------------------- the token


NEW_ROUTES = [
    ("GET", "/api/lists"), ("POST", "/api/lists"), ("GET", "/api/lists/daily"),
    ("PATCH", "/api/lists/daily"), ("DELETE", "/api/lists/daily"),
    ("GET", "/api/lists/daily/subscribers"), ("POST", "/api/lists/daily/subscribers"),
    ("DELETE", "/api/lists/daily/subscribers/a@example.com"),
    ("POST", "/api/lists/daily/import"), ("GET", "/api/lists/daily/export"),
    ("GET", "/api/subscribers/a@example.com"), ("DELETE", "/api/subscribers/a@example.com"),
]


def test_every_admin_route_needs_the_token(client: TestClient) -> None:
    make_list(client)
    add(client, "a@example.com")
    for method, path in NEW_ROUTES:
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            answer = client.request(method, path, headers=headers, json={})
            assert_error(answer, 401)
            assert answer.headers["www-authenticate"] == "Bearer"
    assert len(emails(client)) == 1 and client.get("/api/lists/daily", headers=AUTH).json()
    public = client.post("/api/subscribe", json={"list": "daily", "email": "b@example.com"})
    assert public.status_code == 202, public.text
