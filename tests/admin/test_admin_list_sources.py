"""A list's sources, weights and locale from the admin web app (real HTTP, no JavaScript)."""

from __future__ import annotations

import httpx

from briefing.core.models import AdminRole, Feed
from briefing.subscribers.lists import get_list
from tests.support.admin import make_user, sign_in, submit
from tests.support.site import Site

SETTINGS = {"name": "Daily Brief", "from_address": "news@example.org", "send_time": "07:00",
            "timezone": "UTC", "max_articles": "10", "summary_sentences": "3"}


def chief(site: Site) -> httpx.Client:
    make_user(site.db, "chief@example.org", AdminRole.ADMIN)
    client = site.client()
    assert sign_in(client, "chief@example.org").status_code == 303
    return client


def add_feed(site: Site, title: str) -> int:
    with site.db.session() as session:
        feed = Feed(url=f"https://{title}.example/feed", url_hash=title * 8, title=title,
                    tags=["city"])
        session.add(feed)
        session.flush()
        return feed.id


def test_the_list_form_sets_every_rule_and_shows_them_again(site: Site) -> None:
    client = chief(site)
    herald = add_feed(site, "herald")
    add_feed(site, "courier")
    saved = submit(client, "/admin/lists/daily", "/admin/lists/daily", {
        **SETTINGS, "feeds": [str(herald)], "tags": "Storm, Ports", "language": "de",
        "include": 'bridge "river bridge"', "exclude": "ferry", "weights": "Herald=2\n",
        "locale": "de"})
    assert saved.status_code == 303, saved.text
    row = get_list(site.db, "daily")
    assert row.locale == "de"
    assert row.rules == {"feeds": [herald], "tags": ["storm", "ports"],
                         "include": ["bridge", "river bridge"], "exclude": ["ferry"],
                         "language": "de", "weights": {"Herald": 2.0}}
    page = client.get("/admin/lists/daily").text
    assert f'value="{herald}" checked' in page and 'value="storm, ports"' in page
    assert 'value="bridge &#34;river bridge&#34;"' in page or "river bridge" in page

    cleared = submit(client, "/admin/lists/daily", "/admin/lists/daily", {**SETTINGS})
    assert cleared.status_code == 303
    assert get_list(site.db, "daily").rules is None


def test_bad_rules_are_shown_next_to_their_fields_and_nothing_is_saved(site: Site) -> None:
    client = chief(site)
    answer = submit(client, "/admin/lists/daily", "/admin/lists/daily", {
        **SETTINGS, "include": '"unclosed', "language": "klingonese", "weights": "Herald",
        "locale": "xx_YY_ZZ", "feeds": ["987654"], "tags": "x" * 60})
    assert answer.status_code == 400
    for field in ("include", "language", "weights", "locale", "tags"):
        assert f'id="f-{field}-error"' in answer.text, field
    assert 'value="klingonese"' in answer.text  # what was typed is kept to correct
    row = get_list(site.db, "daily")
    assert row.rules is None and row.locale == "en"
    unknown_feed = submit(client, "/admin/lists/daily", "/admin/lists/daily", {
        **SETTINGS, "feeds": ["987654"]})
    assert unknown_feed.status_code == 400 and "No feed 987654" in unknown_feed.text
