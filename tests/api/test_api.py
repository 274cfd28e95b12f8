"""The HTTP API end to end: real SQLite/PostgreSQL, real local web server, tasks run eagerly."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from briefing.api.auth import PUBLIC_PATHS
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import Article, Feed, SummaryRequest
from briefing.server import create_app
from tests.support.databases import make_settings
from tests.support.services import free_port
from tests.support.threads import run_together
from tests.support.web import WebServer

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
TEXT = (SEEDS / "city-tram-extension.txt").read_text()
OTHER = (SEEDS / "deep-sea-microbe-study.txt").read_text()
HTML = (SEEDS / "harbour-city-cup-final.html").read_text()
AUTH = {"Authorization": "Bearer test-token"}
RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Local News</title>
<link>http://example.org/</link><description>d</description>
<item><title>One</title><link>http://example.org/1</link><description>Short.</description></item>
</channel></rss>"""


def client_for(settings: Settings) -> Iterator[TestClient]:
    from workers import runtime

    with TestClient(create_app(settings)) as client:
        yield client
    runtime.use(None)  # create_app pointed the task runtime at these settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    yield from client_for(settings)


def rows(client: TestClient, model: type[Any] = Article) -> int:
    db: Database = client.app.state.db  # type: ignore[attr-defined]
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def post(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json=body, headers=AUTH)


def assert_error(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"code", "message"} and error["code"] and error["message"]
    return str(error["message"])


# ---------------------------------------------------------------- articles


def test_text_article_is_created_and_comes_back_summarized(client: TestClient) -> None:
    created = post(client, "/api/articles", {"text": TEXT})
    assert created.status_code == 201
    body = created.json()
    assert body["created"] is True and body["duplicate_of"] is None
    assert created.headers["location"] == f"/api/articles/{body['id']}"
    shown = client.get(created.headers["location"], headers=AUTH).json()
    assert shown["status"] == "summarized" and len(shown["summary"]) == 3
    assert shown["summary_algorithm"] == "default" and shown["text"]
    assert shown["created_at"] and shown["summarized_at"]


def test_same_text_again_answers_with_the_existing_article(client: TestClient) -> None:
    first = post(client, "/api/articles", {"text": TEXT}).json()
    again = post(client, "/api/articles", {"text": "  " + TEXT.upper()})
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["duplicate_of"] == first["id"]
    assert again.json()["duplicate_reason"] == "same text"
    assert rows(client) == 1


def test_article_from_url_keeps_the_url_and_a_second_post_is_same_url(
        client: TestClient, web: WebServer) -> None:
    web.route("/news/cup", HTML)
    created = post(client, "/api/articles", {"url": web.url("/news/cup")})
    assert created.status_code == 201, created.text
    assert created.json()["url"] == web.url("/news/cup")
    assert created.json()["status"] == "summarized"
    again = post(client, "/api/articles", {"url": web.url("/news/cup?utm_source=x")})
    assert again.status_code == 200 and again.json()["duplicate_reason"] == "same URL"


def test_article_from_html_gets_title_and_summary(client: TestClient) -> None:
    created = post(client, "/api/articles", {"html": HTML})
    assert created.status_code == 201, created.text
    assert "Amadi" in created.json()["title"]
    assert created.json()["summary"]


def test_markdown_article_takes_its_heading_as_title(client: TestClient) -> None:
    created = post(client, "/api/articles", {"text": "# Tram opens\n\n" + TEXT, "markdown": True})
    assert created.json()["title"] == "Tram opens"


def test_list_filters_by_status_and_pages(client: TestClient) -> None:
    for text in (TEXT, OTHER, (SEEDS / "grocer-shares-slide.txt").read_text()):
        assert post(client, "/api/articles", {"text": text}).status_code == 201
    page = client.get("/api/articles?limit=2&offset=0", headers=AUTH).json()
    assert page["total"] == 3 and page["limit"] == 2 and len(page["items"]) == 2
    assert "text" not in page["items"][0]
    rest = client.get("/api/articles?limit=2&offset=2", headers=AUTH).json()
    ids = {a["id"] for a in page["items"]} | {a["id"] for a in rest["items"]}
    assert len(ids) == 3
    assert client.get("/api/articles?status=summarized", headers=AUTH).json()["total"] == 3
    assert client.get("/api/articles?status=new", headers=AUTH).json()["total"] == 0
    future = client.get("/api/articles", params={"since": "2999-01-01T00:00:00Z"}, headers=AUTH)
    assert future.json()["total"] == 0
    past = client.get("/api/articles", params={"until": "2000-01-01"}, headers=AUTH)
    assert past.json()["total"] == 0


@pytest.mark.parametrize("query", ["status=bogus", "limit=0", "limit=500", "offset=-1",
                                   "since=yesterday", "limit=abc"])
def test_bad_list_parameters_are_422(client: TestClient, query: str) -> None:
    assert_error(client.get(f"/api/articles?{query}", headers=AUTH), 422)


def test_deleted_article_is_gone(client: TestClient) -> None:
    article_id = post(client, "/api/articles", {"text": TEXT}).json()["id"]
    deleted = client.delete(f"/api/articles/{article_id}", headers=AUTH)
    assert deleted.status_code == 204 and deleted.content == b""
    assert_error(client.get(f"/api/articles/{article_id}", headers=AUTH), 404)
    assert_error(client.delete(f"/api/articles/{article_id}", headers=AUTH), 404)
    assert rows(client) == 0


@pytest.mark.parametrize("path", ["/api/articles/999", "/api/articles/-1",
                                  "/api/articles/99999999999999999999",
                                  f"/api/summaries/{uuid.uuid4()}", "/api/summaries/not-a-uuid",
                                  "/nowhere", "/api/nowhere"])
def test_unknown_things_are_404_json(client: TestClient, path: str) -> None:
    assert_error(client.get(path, headers=AUTH), 404)


def test_wrong_method_is_405_json(client: TestClient) -> None:
    response = client.put("/api/articles", headers=AUTH, json={})
    assert_error(response, 405)
    assert "PUT is not allowed" in response.json()["error"]["message"]


# ---------------------------------------------------------------- bad input leaves nothing


def _bad_article_bodies(web: WebServer) -> dict[str, dict[str, Any]]:
    web.route("/missing", "nope", status=404)
    web.route("/broken", "oops", status=500)
    web.route("/paper.pdf", b"%PDF-1.4 ...", content_type="application/pdf")
    web.redirect("/a", "/b")
    web.redirect("/b", "/a")
    return {
        "empty text": {"json": {"text": ""}, "status": 422},
        "whitespace only": {"json": {"text": " \n\t "}, "status": 422},
        "no readable words": {"json": {"text": "1234 5678 !!! ???"}, "status": 422},
        "html with no text": {"json": {"html": "<html><body><nav>Home</nav></body></html>"},
                              "status": 422},
        "two sources": {"json": {"text": TEXT, "html": HTML}, "status": 422},
        "no source": {"json": {"title": "x"}, "status": 422},
        "wrong type": {"json": {"text": 42}, "status": 422},
        "wrong markdown type": {"json": {"text": TEXT, "markdown": "maybe"}, "status": 422},
        "list body": {"json": [TEXT], "status": 422},
        "unknown field": {"json": {"text": TEXT, "colour": "red"}, "status": 422},
        "NUL in title": {"json": {"text": TEXT, "title": "a\x00b"}, "status": 422},
        "not a web URL": {"json": {"url": "ftp://example.org/x"}, "status": 422},
        "unreachable URL": {"json": {"url": f"http://127.0.0.1:{free_port()}/x"},
                            "status": 502},
        "upstream 404": {"json": {"url": web.url("/missing")}, "status": 422},
        "upstream 500": {"json": {"url": web.url("/broken")}, "status": 502},
        "PDF URL": {"json": {"url": web.url("/paper.pdf")}, "status": 422},
        "redirect loop": {"json": {"url": web.url("/a")}, "status": 422},
    }


def test_each_bad_article_gets_a_clear_error_and_stores_nothing(
        client: TestClient, web: WebServer) -> None:
    for name, case in _bad_article_bodies(web).items():
        response = client.post("/api/articles", json=case["json"], headers=AUTH)
        assert response.status_code == case["status"], (name, response.text)
        assert_error(response, case["status"])
    assert rows(client) == 0


@pytest.mark.parametrize(("content", "status"), [
    (b'{"text": "unterminated', 400),
    (b'{"text": "\xc3\x28 not utf-8 \xa0\xa1"}', 400),
    (b"\x00\x01\x02\xff\xfe binary", 400),
    (b"", 422),
])
def test_undecodable_bodies_are_refused(client: TestClient, content: bytes, status: int) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    assert_error(client.post("/api/articles", content=content, headers=headers), status)
    assert rows(client) == 0


def test_twenty_megabytes_is_413_before_it_is_read(client: TestClient) -> None:
    huge = b'{"text": "' + b"word " * 4_000_000 + b'"}'
    response = client.post("/api/articles", content=huge,
                           headers={**AUTH, "Content-Type": "application/json"})
    assert "BRIEFING_MAX_ARTICLE_BYTES" in assert_error(response, 413)
    assert rows(client) == 0


def test_a_chunked_body_is_counted_and_stopped_at_the_cap(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(40):  # 4 MB with no Content-Length
            yield b"word " * 20_000

    response = client.post("/api/summaries", content=chunks(),
                           headers={**AUTH, "Content-Type": "application/json"})
    assert response.request.headers.get("content-length") is None
    assert_error(response, 413)
    assert rows(client, SummaryRequest) == 0


# ---------------------------------------------------------------- summaries


def test_summary_of_a_text_is_ready_when_waited_for(client: TestClient) -> None:
    accepted = post(client, "/api/summaries", {"text": TEXT, "sentences": 2, "algorithm": "lead"})
    assert accepted.status_code == 202
    body = accepted.json()
    assert accepted.headers["location"] == body["url"] == f"/api/summaries/{body['id']}"
    done = client.get(body["url"], params={"wait": 5}, headers=AUTH).json()
    assert done["status"] == "done" and len(done["summary"]) == 2
    assert done["algorithm"] == "lead" and done["sentences"] == 2 and done["finished_at"]


def test_summary_with_a_ratio_and_the_default_algorithm(client: TestClient) -> None:
    body = post(client, "/api/summaries", {"text": TEXT, "ratio": 0.5}).json()
    done = client.get(body["url"], params={"wait": 0.5}, headers=AUTH).json()
    assert done["status"] == "done" and done["ratio"] == 0.5 and done["sentences"] is None
    assert done["algorithm"] == "default"


def test_summary_of_a_stored_article_and_of_a_url(client: TestClient, web: WebServer) -> None:
    article_id = post(client, "/api/articles", {"text": TEXT}).json()["id"]
    by_id = post(client, "/api/summaries", {"article_id": article_id, "sentences": 1}).json()
    done = client.get(by_id["url"], params={"wait": 5}, headers=AUTH).json()
    assert done["status"] == "done" and len(done["summary"]) == 1
    web.route("/news/cup", HTML)
    by_url = post(client, "/api/summaries", {"url": web.url("/news/cup")}).json()
    done = client.get(by_url["url"], params={"wait": 5}, headers=AUTH).json()
    assert done["status"] == "done" and any("Amadi" in s for s in done["summary"])


@pytest.mark.parametrize("body", [
    {"text": ""}, {"text": "   "}, {"text": "@@@@ #### %%%%"}, {"article_id": 12345},
    {"text": TEXT, "algorithm": "magic"}, {"text": TEXT, "sentences": 0},
    {"text": TEXT, "sentences": 51}, {"text": TEXT, "ratio": 0}, {"text": TEXT, "ratio": 1.5},
    {"text": TEXT, "sentences": 2, "ratio": 0.5}, {"text": TEXT, "article_id": 1}, {},
    {"text": ["not", "a", "string"]}, {"url": "http://127.0.0.1:9/closed"},
])
def test_bad_summary_requests_are_refused_and_store_nothing(client: TestClient,
                                                            body: dict[str, Any]) -> None:
    response = post(client, "/api/summaries", body)
    assert 400 <= response.status_code < 600 and response.status_code != 500
    assert_error(response, response.status_code)
    assert rows(client, SummaryRequest) == 0


@pytest.mark.parametrize("wait", ["-1", "61", "soon"])
def test_wait_outside_0_to_60_seconds_is_422(client: TestClient, wait: str) -> None:
    body = post(client, "/api/summaries", {"text": TEXT}).json()
    assert_error(client.get(body["url"], params={"wait": wait}, headers=AUTH), 422)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_trickling_page_is_cut_off_at_the_fetch_timeout(tmp_path: Path, web: WebServer,
                                                          part: str) -> None:
    web.trickle("/drip", part=part)  # one byte every 0.5 s, for hours
    try:
        for client in client_for(make_settings(tmp_path, BRIEFING_FETCH_TIMEOUT="1")):
            # On a thread with a deadline: a request the fetch deadline fails to end would
            # hold the TestClient (and pytest's own timeout) for as long as the trickle.
            (answer,) = run_together(
                lambda c=client: post(c, "/api/articles", {"url": web.url("/drip")}), 1, 30)
            message = assert_error(answer, 504)
            assert message == f"timed out: {web.url('/drip')} did not arrive within 1 s"
            assert rows(client) == 0
    finally:
        web.stopping.set()  # whatever happened, let a request still waiting on it end


# ---------------------------------------------------------------- feeds


def test_feed_subscription_lifecycle(client: TestClient, web: WebServer) -> None:
    web.route("/feed.xml", RSS, content_type="application/rss+xml")
    web.route("/page", HTML)
    created = post(client, "/api/feeds", {"url": web.url("/feed.xml")})
    assert created.status_code == 201, created.text
    assert created.json()["title"] == "Local News"
    assert_error(post(client, "/api/feeds", {"url": web.url("/feed.xml")}), 409)
    assert_error(post(client, "/api/feeds", {"url": web.url("/page")}), 422)
    assert_error(post(client, "/api/feeds", {"url": web.url("/gone")}), 422)
    listed = client.get("/api/feeds", headers=AUTH).json()
    assert [f["url"] for f in listed] == [web.url("/feed.xml")]
    assert client.delete(f"/api/feeds/{listed[0]['id']}", headers=AUTH).status_code == 204
    assert_error(client.delete(f"/api/feeds/{listed[0]['id']}", headers=AUTH), 404)
    assert rows(client, Feed) == 0


@pytest.mark.parametrize("url", ["http://[::1]/feed.xml", "http://example.com:99999/feed",
                                 "http://[2606:4700::1111/feed"])
def test_a_feed_url_that_cannot_be_used_is_a_clear_4xx(tmp_path: Path, url: str) -> None:
    for client in client_for(make_settings(tmp_path, BRIEFING_ALLOW_PRIVATE_URLS="false")):
        message = assert_error(post(client, "/api/feeds", {"url": url}), 422)
        assert url in message or "::1" in message
        assert rows(client, Feed) == 0


def test_a_feed_is_polled_on_request(client: TestClient, web: WebServer) -> None:
    story = f"<html><body><article><p>{OTHER}</p></article></body></html>"
    web.route("/story", story)
    web.route("/feed.xml", RSS.replace("http://example.org/1", web.url("/story")),
              content_type="application/rss+xml", etag='"v1"')
    feed_id = post(client, "/api/feeds", {"url": web.url("/feed.xml")}).json()["id"]

    polled = client.post(f"/api/feeds/{feed_id}/poll", headers=AUTH)
    assert polled.status_code == 200, polled.text
    body = polled.json()
    assert len(body["new_article_ids"]) == 1 and body["errors"] == [] and not body["failed"]
    assert body["feed"]["last_polled_at"] and body["feed"]["last_error"] is None
    article = client.get(f"/api/articles/{body['new_article_ids'][0]}", headers=AUTH).json()
    assert article["status"] == "summarized" and article["source"] == "Local News"

    assert client.post(f"/api/feeds/{feed_id}/poll", headers=AUTH).json()["not_modified"]
    web.route("/feed.xml", "gone", status=404)
    failed = client.post(f"/api/feeds/{feed_id}/poll", headers=AUTH).json()
    assert "404" in failed["failed"] and failed["feed"]["last_error"] == failed["failed"]
    assert_error(client.post("/api/feeds/999/poll", headers=AUTH), 404)


# ---------------------------------------------------------------- editing articles


def test_an_article_is_corrected_before_it_is_sent(client: TestClient) -> None:
    created = post(client, "/api/articles", {"text": TEXT}).json()
    path = f"/api/articles/{created['id']}"
    generated = created["summary"]
    edited = client.patch(path, headers=AUTH, json={
        "title": "Tram line opens", "summary": ["The tram line opens in May.", "  Fares stay. "]})
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["title"] == "Tram line opens"
    assert body["summary"] == ["The tram line opens in May.", "Fares stay."]
    assert body["summary_edited_at"] and body["status"] == "summarized"

    restored = client.patch(path, headers=AUTH, json={"summary": None}).json()
    assert restored["summary"] == generated and restored["summary_edited_at"] is None
    assert restored["title"] == "Tram line opens"


@pytest.mark.parametrize("body", [
    {}, {"title": ""}, {"title": None}, {"title": "x" * 501}, {"summary": []},
    {"summary": [""]}, {"summary": "One sentence."}, {"summary": [1, 2]},
    {"summary": ["x" * 2001]}, {"summary": ["One."] * 51}, {"text": "new text"},
    {"summary": ["nul \u0000 here"]},
])
def test_a_bad_correction_is_422_and_changes_nothing(client: TestClient,
                                                    body: dict[str, Any]) -> None:
    created = post(client, "/api/articles", {"text": TEXT}).json()
    path = f"/api/articles/{created['id']}"
    assert_error(client.patch(path, headers=AUTH, json=body), 422)
    after = client.get(path, headers=AUTH).json()
    assert (after["title"], after["summary"]) == (created["title"], created["summary"])


def test_correcting_an_unknown_article_is_404(client: TestClient) -> None:
    for article_id in ("999", "99999999999"):
        assert_error(client.patch(f"/api/articles/{article_id}", headers=AUTH,
                                  json={"title": "Nothing"}), 404)


# ---------------------------------------------------------------- auth


def _admin_calls(client: TestClient) -> list[tuple[str, str]]:
    """Every admin operation. FastAPI 0.165 keeps included routers nested in `app.routes`,
    so the app's own OpenAPI schema is the public, flat list of them."""
    fill = {"{article_id}": "1", "{feed_id}": "1", "{request_id}": str(uuid.uuid4())}
    calls = []
    for path, operations in client.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        for placeholder, value in fill.items():
            path = path.replace(placeholder, value)
        if path.startswith("/api") and path not in PUBLIC_PATHS:  # /api/subscribe is open
            calls += [(method.upper(), path) for method in operations]
    return calls


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", "Bearer ", "Basic dGVzdA==",
                                    "test-token", "Bearer test-token-and-more"])
def test_every_admin_route_refuses_a_missing_or_wrong_token(client: TestClient,
                                                            header: str | None) -> None:
    calls = _admin_calls(client)
    assert len(calls) >= 8
    headers = {"Authorization": header} if header is not None else {}
    for method, path in calls:
        response = client.request(method, path, headers=headers, json={"text": TEXT})
        assert_error(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
    assert rows(client) == 0


def test_without_a_configured_token_the_admin_api_is_closed(tmp_path: Path) -> None:
    for client in client_for(make_settings(tmp_path, BRIEFING_API_TOKEN="")):
        for method, path in _admin_calls(client):
            response = client.request(method, path, headers={"Authorization": "Bearer "})
            assert "BRIEFING_API_TOKEN" in assert_error(response, 401)
        assert client.get("/healthz").status_code == 200


# ---------------------------------------------------------------- health and docs


def test_healthz_needs_no_token_and_reports_embedded_mode(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "embedded",
                               "scheduler": "not started"}


def test_healthz_checks_a_real_broker(tmp_path: Path, redis_url: str) -> None:
    for client in client_for(make_settings(tmp_path, BRIEFING_BROKER_URL=redis_url)):
        assert client.get("/healthz").json()["broker"] == "ok"


def test_healthz_is_503_naming_the_broker_when_it_is_down(tmp_path: Path) -> None:
    port = free_port()
    down = f"redis://:hunter22@127.0.0.1:{port}/0"
    for client in client_for(make_settings(tmp_path, BRIEFING_BROKER_URL=down)):
        message = assert_error(client.get("/healthz"), 503)
        # Only the failing part's name: no host, port or driver error for strangers.
        assert message == "failing: broker"


def test_openapi_documents_routes_errors_and_the_bearer_scheme(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    create = schema["paths"]["/api/articles"]["post"]["responses"]
    assert {"201", "200", "401", "413", "422", "502"} <= set(create)
    assert create["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorResponse")
    assert client.get("/docs").status_code == 200


# ---------------------------------------------------------------- both databases


def test_create_list_delete_on_sqlite_and_postgresql(tmp_path: Path, any_db: Database) -> None:
    settings = make_settings(tmp_path / "var", BRIEFING_DATABASE_URL=any_db.url)
    for client in client_for(settings):
        created = post(client, "/api/articles", {"text": TEXT}).json()
        assert created["status"] == "summarized"
        assert post(client, "/api/articles", {"text": TEXT}).json()["duplicate_of"] == created["id"]
        listed = client.get("/api/articles?status=summarized", headers=AUTH).json()
        assert [a["id"] for a in listed["items"]] == [created["id"]]
        summary = post(client, "/api/summaries", {"article_id": created["id"]}).json()
        assert client.get(summary["url"], params={"wait": 5}, headers=AUTH).json()["summary"]
        assert client.delete(f"/api/articles/{created['id']}", headers=AUTH).status_code == 204
        assert client.get("/api/articles", headers=AUTH).json()["total"] == 0
