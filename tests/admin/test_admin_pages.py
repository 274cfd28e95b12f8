"""The admin web app over real HTTP (uvicorn, embedded tasks), as a browser without
JavaScript uses it: sign-in, sessions, roles, CSRF, and hostile input."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import Response
from sqlalchemy import func, select

from briefing.accounts.tokens import issue_token, revoke_token
from briefing.accounts.users import find_user
from briefing.admin.session import set_cookie
from briefing.core.models import AdminRole, Article, Edition, ImportJob, MailingList, Subscription
from briefing.operations import jobs
from briefing.operations.heartbeats import Beat, record
from briefing.subscribers.subscriptions import add_subscriber
from tests.support.admin import csrf_of, make_user, sign_in, submit
from tests.support.databases import make_settings
from tests.support.site import Site


def count(site: Site, model: type) -> int:
    with site.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def people(site: Site) -> Site:
    make_user(site.db, "chief@example.org", AdminRole.ADMIN)
    make_user(site.db, "ed@example.org", AdminRole.EDITOR)
    make_user(site.db, "val@example.org", AdminRole.VIEWER)
    return site


def signed_in(site: Site, email: str) -> httpx.Client:
    client = site.client()
    answer = sign_in(client, email)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin"
    return client


def test_a_signed_out_visitor_is_sent_to_the_login_page(people: Site) -> None:
    client = people.client()
    answer = client.get("/admin/lists/daily/subscribers?status=active")
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        "/admin/login?next=/admin/lists/daily/subscribers%3Fstatus%3Dactive")
    page = client.get("/admin/login").text
    assert '<label for="email">Email</label>' in page
    assert '<label for="password">Password</label>' in page
    assert '<button type="submit">Sign in</button>' in page
    # A POST without a session changes nothing and is sent to sign in too.
    shown = client.get("/admin/login")
    refused = client.post("/admin/lists", data={"slug": "x", "name": "X", "from_address":
                                                "a@example.org", "csrf_token": csrf_of(shown.text)})
    assert refused.status_code == 303 and refused.headers["location"].startswith("/admin/login")
    assert count(people, MailingList) == 2


def test_the_session_cookie_is_protected_and_ends_on_the_server_at_sign_out(
        people: Site) -> None:
    client = people.client()
    answer = sign_in(client, "chief@example.org")
    cookie = next(c for c in answer.headers.get_list("set-cookie")
                  if c.startswith("briefing_admin="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin" in cookie
    assert "Max-Age=43200" in cookie and "Secure" not in cookie  # http here; https sets it
    stolen = client.cookies.get("briefing_admin", path="/admin")
    assert client.get("/admin").status_code == 200
    signed_out = submit(client, "/admin", "/admin/logout")
    assert signed_out.headers["location"] == "/admin/login?signed_out=1"
    thief = people.client()
    thief.cookies.set("briefing_admin", stolen, path="/admin")
    answer = thief.get("/admin/users")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/admin/login")


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(
        people: Site) -> None:
    client = people.client()
    answer = sign_in(client, "chief@example.org", "not the password")
    assert answer.status_code == 400
    assert "The email or the password is wrong." in answer.text
    assert "briefing_admin" not in client.cookies


def test_forged_or_cross_site_forms_change_nothing(people: Site) -> None:
    client = signed_in(people, "chief@example.org")
    data = {"slug": "forged", "name": "Forged", "from_address": "a@example.org",
            "send_time": "07:00", "timezone": "UTC", "max_articles": "10",
            "summary_sentences": "3"}
    forged = client.post("/admin/lists", data={**data, "csrf_token": "made-up"})
    assert forged.status_code == 403 and "nothing was changed" in forged.text
    cross = submit(client, "/admin/lists/new", "/admin/lists", data,
                   headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403 and "another site" in cross.text
    assert count(people, MailingList) == 2
    made = submit(client, "/admin/lists/new", "/admin/lists", data)
    assert made.status_code == 303 and count(people, MailingList) == 3


def test_a_viewer_reads_everything_but_has_no_buttons_and_every_change_is_refused(
        people: Site) -> None:
    add_subscriber(people.db, "daily", "reader@example.com", "Rea")
    client = signed_in(people, "val@example.org")
    for page in ("/admin", "/admin/lists", "/admin/lists/daily", "/admin/lists/daily/subscribers",
                 "/admin/articles", "/admin/feeds", "/admin/editions", "/admin/users",
                 "/admin/lists/daily/edition"):
        shown = client.get(page)
        assert shown.status_code == 200, page
        forms = re.findall(r'<form[^>]* method="post" action="([^"]+)"', shown.text)
        # Signing out, and making a token of their own (which only reads), nothing else.
        assert forms in (["/admin/logout"], ["/admin/logout", "/admin/users/me/tokens"]), (
            page, forms)
    person = re.search(r'href="/admin/people/(\d+)"',
                       client.get("/admin/lists/daily/subscribers").text)
    assert person is not None
    attempts = [("/admin/lists", {"slug": "mine", "name": "Mine", "from_address": "a@b.org"}),
                ("/admin/lists/daily", {"name": "Renamed", "from_address": "a@b.org"}),
                ("/admin/lists/daily/subscribers", {"email": "new@example.com"}),
                (f"/admin/people/{person.group(1)}/erase", {}),
                ("/admin/lists/daily/send", {}), ("/admin/articles", {"text": "Some text."}),
                ("/admin/users", {"email": "x@example.org", "role": "admin",
                                  "password": "long enough password"})]
    for action, data in attempts:
        refused = submit(client, "/admin/lists/daily", action, data)
        assert refused.status_code == 403, action
        assert "Your role (viewer) may not change" in refused.text
    assert count(people, MailingList) == 2 and count(people, Edition) == 0
    assert count(people, Article) == 0 and count(people, Subscription) == 1


def test_an_editor_changes_articles_and_editions_but_not_lists(people: Site) -> None:
    client = signed_in(people, "ed@example.org")
    assert 'action="/admin/lists/daily"' not in client.get("/admin/lists/daily").text
    refused = submit(client, "/admin/lists/daily", "/admin/lists/daily",
                     {"name": "Renamed", "from_address": "a@b.org"})
    assert refused.status_code == 403
    added = submit(client, "/admin/articles/new", "/admin/articles",
                   {"text": "Harbour ferry returns.\n\nThe ferry sails again on Monday after "
                            "repairs. Tickets cost the same. The mayor welcomed it."})
    assert added.status_code == 303 and count(people, Article) == 1


def test_names_with_markup_are_shown_as_text(people: Site) -> None:
    client = signed_in(people, "chief@example.org")
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    made = submit(client, "/admin/lists/new", "/admin/lists", {
        "slug": "markup", "name": hostile, "from_address": "a@example.org", "send_time": "07:00",
        "timezone": "UTC", "max_articles": "10", "summary_sentences": "3"})
    assert made.status_code == 303
    add_subscriber(people.db, "markup", "x@example.com", "<b>Bold</b> Reader")
    for page in ("/admin", "/admin/lists", "/admin/lists/markup",
                 "/admin/lists/markup/subscribers"):
        html = client.get(page).text
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>Bold" not in html
        assert "&lt;script&gt;" in html or "&lt;b&gt;Bold" in html


def test_list_settings_are_checked_field_by_field(people: Site) -> None:
    client = signed_in(people, "chief@example.org")
    answer = submit(client, "/admin/lists/new", "/admin/lists", {
        "slug": "Bad Slug", "name": "", "from_address": "not an address",
        "send_time": "25:99", "timezone": "Mars/Olympus", "max_articles": "1000",
        "summary_sentences": "3"})
    assert answer.status_code == 400
    for field in ("slug", "name", "from_address", "send_time", "timezone", "max_articles"):
        assert f'id="f-{field}-error"' in answer.text, field
    assert 'value="Mars/Olympus"' in answer.text  # what was typed is kept to correct
    assert count(people, MailingList) == 2


def test_a_10_mb_upload_gets_a_clear_message_and_stores_nothing(people: Site) -> None:
    client = signed_in(people, "ed@example.org")
    big = b"A sentence about the harbour. " * 350_000  # ~10 MB
    answer = submit(client, "/admin/articles/new", "/admin/articles",
                    files={"file": ("big.txt", big, "text/plain")})
    assert answer.status_code == 413
    assert "larger than the 2,000,000-byte limit" in answer.text
    assert 'id="f-file-error"' in answer.text
    assert count(people, Article) == 0


def test_a_binary_file_offered_as_csv_is_refused_before_anything_is_queued(
        people: Site) -> None:
    client = signed_in(people, "chief@example.org")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40
    answer = submit(client, "/admin/lists/daily", "/admin/lists/daily/import",
                    files={"file": ("readers.csv", png, "text/csv")})
    assert answer.status_code == 400
    assert "not a CSV text file" in answer.text and 'id="f-file-error"' in answer.text
    assert count(people, ImportJob) == 0 and count(people, Subscription) == 0


def test_an_import_shows_its_report_with_every_rejected_row(people: Site) -> None:
    client = signed_in(people, "chief@example.org")
    rows = "email,name\nann@example.com,Ann\nnot-an-address,Bob\nbea@example.com,Bea\n,Nobody\n"
    started = submit(client, "/admin/lists/daily", "/admin/lists/daily/import",
                     files={"file": ("readers.csv", rows.encode(), "text/csv")})
    assert started.status_code == 303
    page = client.get(started.headers["location"]).text  # embedded: already done
    assert "2 added" in page and "2 rejected" in page
    assert re.search(r'<td class="num">3</td><td class="wrap">[^<]*not a valid email', page)
    assert re.search(r'<td class="num">5</td><td class="wrap">email is empty', page)
    assert "data-final" in page


def test_reader_pages_follow_on_by_address(people: Site) -> None:
    for n in range(120):
        add_subscriber(people.db, "daily", f"r{n:03d}@example.com")
    client = signed_in(people, "val@example.org")
    first = client.get("/admin/lists/daily/subscribers").text
    assert first.count('href="/admin/people/') == 50 and "r049@example.com" in first
    after = re.search(r'after=([^"&]+)" rel="next"', first)
    assert after is not None
    second = client.get(f"/admin/lists/daily/subscribers?after={after.group(1)}").text
    assert ">r050@example.com</a>" in second and ">r049@example.com</a>" not in second
    found = client.get("/admin/lists/daily/subscribers?q=r11").text
    assert found.count('href="/admin/people/') == 10


def test_the_reader_list_shows_what_each_reader_gets(people: Site) -> None:
    from briefing.subscribers.list_rules import RulesChange
    from briefing.subscribers.lists import ListChanges, update_list

    update_list(people.db, "daily", ListChanges(rules=RulesChange(tags=["markets", "science"])))
    add_subscriber(people.db, "daily", "weekly@example.com", frequency="weekly:friday",
                   topics=["science"])
    add_subscriber(people.db, "daily", "every@example.com")
    page = signed_in(people, "val@example.org").get("/admin/lists/daily/subscribers").text
    assert '<td class="wrap">weekly:friday · science</td>' in page
    assert '<td class="wrap">daily</td>' in page


def test_personal_api_tokens_act_with_their_holders_role(people: Site) -> None:
    viewer = issue_token(people.db, find_user(people.db, "val@example.org").id, "dashboards")
    editor = issue_token(people.db, find_user(people.db, "ed@example.org").id, "cms")

    def call(token: str, method: str, path: str, **kwargs: object) -> int:
        return people.http.request(method, path, headers={"Authorization": f"Bearer {token}"},
                                   **kwargs).status_code  # type: ignore[arg-type]

    assert call(viewer.token, "GET", "/api/lists") == 200
    assert call(viewer.token, "POST", "/api/lists", json={
        "slug": "v", "name": "V", "from_address": "a@example.org"}) == 403
    story = "Ferry returns.\n\nThe harbour ferry sails again on Monday after long repairs."
    assert call(editor.token, "POST", "/api/articles", json={"text": story}) == 201
    assert call(editor.token, "POST", "/api/lists/daily/subscribers", json={
        "email": "z@example.com"}) == 403
    assert call("test-token", "POST", "/api/lists/daily/subscribers", json={
        "email": "z@example.com"}) == 201
    revoke_token(people.db, find_user(people.db, "ed@example.org").id, editor.id)
    assert call(editor.token, "GET", "/api/lists") == 401


def test_the_dashboard_says_what_it_knows_and_what_nobody_measures_yet(people: Site) -> None:
    record(people.db, Beat.TICK, {})
    html = signed_in(people, "val@example.org").get("/admin").text
    scheduler = html[html.index('id="h-scheduler"'):html.index('id="h-bounces"')]
    assert ">ok</span>" in scheduler and "Last tick</dt><dd><time" in scheduler
    assert "no broker: tasks run in-process" in scheduler
    bounces = html[html.index('id="h-bounces"'):html.index('id="h-feeds"')]
    assert bounces.count("not available") == 2  # no invented numbers
    assert 'data-list="daily" data-day="today"' in html and "due at 07:00 UTC" in html


def test_over_https_the_session_cookie_is_secure(tmp_path: Path) -> None:
    response = Response()
    settings = make_settings(tmp_path, BRIEFING_BASE_URL="https://news.example.org")
    set_cookie(response, "token", settings)
    cookie = response.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/admin" in cookie


def _the_article(site: Site) -> Article:
    with site.db.session() as session:
        article = session.scalars(select(Article)).one()
        session.expunge(article)
        return article


def test_a_summary_edited_in_the_admin_survives_a_re_summarize_and_a_title_edit_does_not_freeze_it(
        people: Site) -> None:
    client = signed_in(people, "ed@example.org")
    submit(client, "/admin/articles/new", "/admin/articles",
           {"text": "Harbour ferry returns.\n\nThe ferry sails again on Monday after repairs. "
                    "Tickets cost the same as before. The mayor welcomed the news warmly."})
    article = _the_article(people)
    page = f"/admin/articles/{article.id}"
    summary = "\n".join(article.summary or [])
    renamed = submit(client, page, page, {"title": "Ferry back", "summary": summary})
    assert renamed.status_code == 303
    assert _the_article(people).summary_edited_at is None  # only the title changed

    edited = submit(client, page, page, {"title": "Ferry back",
                                         "summary": "The ferry is back on Monday.\n\n"})
    assert edited.status_code == 303
    jobs.summarize_article(people.db, article.id, people.settings, force=True)
    after = _the_article(people)
    assert after.title == "Ferry back"
    assert after.summary == ["The ferry is back on Monday."]
    assert after.summary_edited_at is not None


def test_a_mistyped_admin_address_gets_the_admins_page_not_the_apis_json(people: Site) -> None:
    client = signed_in(people, "val@example.org")
    for address in ("/admin/articles/abc", "/admin/editions/1e9x", "/admin/no-such-page"):
        answer = client.get(address)
        assert answer.status_code == 404, address
        assert answer.headers["content-type"].startswith("text/html")
        assert "There is nothing at this address" in answer.text
    # The API keeps its JSON answers for the same mistakes.
    api = people.client().get("/api/articles/abc", headers={"Authorization": "Bearer nope"})
    assert api.headers["content-type"].startswith("application/json")
    # Signed out, a mistyped address is sent to sign in like any other.
    answer = people.client().get("/admin/articles/abc")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/admin/login")
