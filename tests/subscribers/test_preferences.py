"""The reader's preferences page end to end: the real app under uvicorn, real HTTP (httpx),
real SMTP (aiosmtpd) for the emails whose links are followed, SQLite. Only the clock is moved.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import time_machine
from sqlalchemy import select, update

from briefing.core.clock import utcnow
from briefing.core.models import EditionStatus, Subscriber, Subscription
from briefing.delivery import send_edition as deliver
from briefing.editions.compose import build_edition
from briefing.editions.service import ensure_edition
from briefing.mail.slots import personalize
from briefing.subscribers import subscriptions as subs
from briefing.subscribers.lists import ListChanges, create_list
from tests.api.test_public_pages import (
    MANGLES,
    Status,
    _mangled,
    _reader_with_tokens,
    active_reader,
    assert_page,
    click_confirm,
    confirm_link,
    form_token,
    sign_up,
    status,
    subscription,
)
from tests.support.briefing_data import add_news
from tests.support.databases import make_settings
from tests.support.site import Site
from tests.support.worker import wait_for


def preferences_link(site: Site, email: str) -> str:
    """The Preferences link of the last briefing `email` received, as the mail program shows
    it: the same in the HTML and the plain-text part."""
    message = site.smtp.recorder.to(email)[-1].message
    text, page = (message.get_body(preferencelist=(kind,)) for kind in ("plain", "html"))
    assert text is not None and page is not None
    in_html = re.findall(r'<a href="([^"]+)"[^>]*>Preferences</a>', page.get_content())
    assert len(in_html) == 1, page.get_content()
    assert in_html[0].startswith(f"{site.url}/preferences/")
    assert in_html[0] in text.get_content()
    assert in_html[0].replace("/preferences/", "/unsubscribe/") in text.get_content()
    return in_html[0]


def send_edition(site: Site, slug: str) -> list[str]:
    """Build and send `slug`'s edition of today; returns who received it."""
    before = len(site.smtp.messages)
    edition_id, _ = ensure_edition(site.db, slug)
    assert build_edition(site.db, edition_id, site.settings) == EditionStatus.SENDING
    deliver.send_some(site.db, edition_id, site.settings)
    return sorted(a for m in site.smtp.messages[before:] for a in m.recipients)


def preferences_page(site: Site, token_or_url: str, browser: httpx.Client | None = None
                     ) -> httpx.Response:
    url = token_or_url if "/" in token_or_url else f"/preferences/{token_or_url}"
    return (browser or site.http).get(url)


def save(site: Site, url: str, page: httpx.Response, **fields: object) -> httpx.Response:
    """Submit the page's form as a browser would: every shown list, the ticked ones, a name."""
    data: dict[str, object] = {"csrf_token": form_token(page),
                               "shown": re.findall(r'name="shown" value="([^"]+)"', page.text)}
    data.update(fields)
    return site.http.post(url, data=data)


def snapshot(site: Site) -> list[tuple[object, ...]]:
    with site.db.session() as session:
        rows = session.execute(select(Subscription, Subscriber).join(Subscriber)
                               .order_by(Subscription.id)).all()
        return [(s.status, s.consent_source, s.consent_at, s.consent_ip, s.confirmed_at,
                 s.unsubscribed_at, p.name) for s, p in rows]


def name_of(site: Site, email: str) -> str:
    with site.db.session() as session:
        return session.scalars(select(Subscriber.name)
                               .where(Subscriber.email_key == email)).one()


# ---------------------------------------------------------------- the whole journey


def test_reader_leaves_one_of_two_lists_and_renames_through_the_briefing_link(
        site: Site) -> None:
    for count, slug in enumerate(("daily", "weekly"), start=1):
        sign_up(site, "pat@example.com", "Pat", slug)
        wait_for(lambda n=count: len(site.smtp.recorder.to("pat@example.com")) == n, 10,
                 what="the confirmation email")
        click_confirm(site, confirm_link(site, "pat@example.com"))
    subs.add_subscriber(site.db, "weekly", "other@example.com")
    add_news(site.db, site.settings, 3)
    assert "pat@example.com" in send_edition(site, "daily")

    url = preferences_link(site, "pat@example.com")
    page = preferences_page(site, url)
    assert_page(page, 200, "Your preferences", "pat@example.com", 'value="Pat"',
                'name="lists" value="daily" checked', 'name="lists" value="weekly" checked')
    saved = save(site, url, page, name="Patricia", lists=["daily"])
    assert_page(saved, 200, "Your preferences are saved", "You left Weekly Digest",
                'value="Patricia"', 'name="lists" value="weekly">')
    assert status(site, "pat@example.com") == Status.ACTIVE
    left = subscription(site, "pat@example.com", "weekly")
    assert left is not None and left.status == Status.UNSUBSCRIBED
    assert left.unsubscribed_at is not None and left.confirm_nonce is None

    with time_machine.travel(utcnow() + timedelta(days=1)):
        add_news(site.db, site.settings, 2, start=10)
        assert "pat@example.com" in send_edition(site, "daily")
        assert send_edition(site, "weekly") == ["other@example.com"]
    text = site.smtp.recorder.to("pat@example.com")[-1].message.get_body(("plain",))
    assert text is not None and "Good morning Patricia," in text.get_content()


def test_ticking_a_list_they_left_brings_it_back_with_fresh_consent(site: Site) -> None:
    token = active_reader(site, "back@example.com", "daily", "weekly")
    site.client().post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
    page = preferences_page(site, token)
    assert_page(page, 200, 'name="lists" value="daily">', "you left this list")
    before = utcnow()
    saved = save(site, f"/preferences/{token}", page, lists=["daily", "weekly"])
    assert_page(saved, 200, "You will receive Daily Brief again")
    row = subscription(site, "back@example.com")
    assert row is not None and row.status == Status.ACTIVE
    assert (row.consent_source, row.consent_ip) == ("preferences", "127.0.0.1")
    assert row.consent_at >= before - timedelta(seconds=1)
    assert row.confirmed_at is not None and row.confirmed_at >= row.consent_at
    assert status(site, "back@example.com", "weekly") == Status.ACTIVE


def test_the_unsubscribe_pages_link_to_the_preferences_page(site: Site) -> None:
    token = active_reader(site, "link@example.com")
    page = site.http.get(f"/unsubscribe/{token}")
    assert_page(page, 200, f'href="/preferences/{token}"')
    done = site.http.post(f"/unsubscribe/{token}",
                          data={"scope": "list", "csrf_token": form_token(page)})
    assert_page(done, 200, f'href="/preferences/{token}"')


# ---------------------------------------------------------------- what cannot change


def test_bounced_and_pending_lists_are_shown_read_only_and_never_switched_on(
        site: Site) -> None:
    create_list(site.db, "monthly", ListChanges(name="Monthly Review",
                                                from_address="news@example.org"))
    create_list(site.db, "secret", ListChanges(name="Secret List",
                                               from_address="news@example.org"))
    token = active_reader(site, "mixed@example.com", "daily", "monthly")
    sign_up(site, "mixed@example.com", slug="weekly")  # pending: never confirmed
    bounced = subscription(site, "mixed@example.com", "monthly")
    assert bounced is not None
    with site.db.session() as session:
        session.execute(update(Subscription).where(Subscription.id == bounced.id)
                        .values(status=Status.BOUNCED))

    page = preferences_page(site, token)
    assert_page(page, 200, "Weekly Digest", "Waiting for you to confirm", "Monthly Review",
                "returned as undeliverable", 'name="lists" value="daily" checked')
    assert 'value="weekly"' not in page.text and 'value="monthly"' not in page.text
    assert "Secret List" not in page.text  # lists they never joined are not shown

    every = ["daily", "weekly", "monthly", "secret"]
    assert_page(site.http.post(f"/preferences/{token}", data={
        "csrf_token": form_token(page), "shown": every, "lists": every}), 200)
    assert status(site, "mixed@example.com", "weekly") == Status.PENDING
    assert status(site, "mixed@example.com", "monthly") == Status.BOUNCED
    assert status(site, "mixed@example.com", "secret") is None
    assert status(site, "mixed@example.com") == Status.ACTIVE


def test_a_list_not_on_the_submitted_page_is_left_alone(site: Site) -> None:
    token = active_reader(site, "stale@example.com", "daily")
    page = preferences_page(site, token)  # opened before joining weekly
    subs.add_subscriber(site.db, "weekly", "stale@example.com")
    save(site, f"/preferences/{token}", page, lists=["daily"])
    assert status(site, "stale@example.com", "weekly") == Status.ACTIVE


def test_opening_the_page_changes_nothing(site: Site) -> None:
    token = active_reader(site, "look@example.com", "daily", "weekly")
    subs.remove_subscriber(site.db, "weekly", "look@example.com")
    before = snapshot(site)
    for _ in range(2):
        assert_page(preferences_page(site, token, site.client()), 200)
    assert snapshot(site) == before


@pytest.mark.parametrize("case", ["no field", "forged field", "no cookie"])
def test_a_post_without_the_matching_csrf_pair_changes_nothing(site: Site, case: str) -> None:
    token = active_reader(site, "csrf@example.com", "daily", "weekly")
    page = preferences_page(site, token)
    before = snapshot(site)
    data: dict[str, object] = {"shown": ["daily", "weekly"], "lists": [], "name": "Mallory"}
    if case == "forged field":
        data["csrf_token"] = "x" * 43
    browser = site.client() if case == "no cookie" else site.http
    if case == "no cookie":
        data["csrf_token"] = form_token(page)
    assert_page(browser.post(f"/preferences/{token}", data=data), 403, "nothing was changed")
    assert snapshot(site) == before


def test_broken_and_expired_links_get_the_problem_page(site: Site, tmp_path: Path) -> None:
    sid, confirm_token, unsub_token = _reader_with_tokens(site)
    subs.confirm(site.db, confirm_token, site.settings)
    foreign = make_settings(tmp_path / "other", BRIEFING_SECRET_KEY="x" * 40)
    csrf_token = form_token(preferences_page(site, unsub_token))
    before = snapshot(site)
    for mangle in MANGLES:
        bad = _mangled(site, mangle, unsub_token, confirm_token, foreign, unsubscribe=True)
        assert_page(preferences_page(site, bad), 400, "does not work", "Preferences link")
        assert_page(site.http.post(f"/preferences/{bad}", data={
            "csrf_token": csrf_token, "shown": ["daily"], "name": "X"}), 400)
    with time_machine.travel(utcnow() - timedelta(days=site.settings.unsubscribe_days + 1)):
        old = subs.unsubscribe_token(site.settings, sid)
    assert_page(preferences_page(site, old), 410, "expired")
    assert_page(site.http.post(f"/preferences/{old}", data={
        "csrf_token": csrf_token, "shown": ["daily"]}), 410)
    assert snapshot(site) == before


def test_the_post_counts_against_the_per_client_limit(make_site: Callable[..., Site]) -> None:
    site = make_site(BRIEFING_PUBLIC_RATE_LIMIT="2")
    token = active_reader(site, "busy@example.com")
    page = preferences_page(site, token)
    save(site, f"/preferences/{token}", page, lists=["daily"], name="One")
    refused = save(site, f"/preferences/{token}", page, lists=[], name="Two")
    assert_page(refused, 429, "Too many requests")
    assert status(site, "busy@example.com") == Status.ACTIVE
    assert name_of(site, "busy@example.com") == "One"


# ---------------------------------------------------------------- hostile names


def test_a_huge_name_is_refused_and_nothing_changes(site: Site) -> None:
    token = active_reader(site, "huge@example.com", "daily")
    page = preferences_page(site, token)
    before = snapshot(site)
    answer = save(site, f"/preferences/{token}", page, name="N" * 10_000, lists=[])
    assert_page(answer, 400, "Please shorten your name", "Nothing was changed",
                'aria-invalid="true"', 'name="lists" value="daily" checked')
    assert "N" * 101 not in answer.text
    assert snapshot(site) == before


@pytest.mark.parametrize(("typed", "stored"), [
    ("Eve\r\nBcc: victim@example.org", "Eve Bcc: victim@example.org"),
    ("  Zoë \t Ünal\x00\u200b ", "Zoë Ünal"),
    ('<script>alert("x")</script>', '<script>alert("x")</script>'),
    ("", ""),
])
def test_names_are_cleaned_like_sign_up_names_and_shown_escaped(
        site: Site, typed: str, stored: str) -> None:
    token = active_reader(site, "name@example.com", "daily")
    page = preferences_page(site, token)
    answer = save(site, f"/preferences/{token}", page, name=typed, lists=["daily"])
    assert_page(answer, 200, "Your preferences are saved")
    assert name_of(site, "name@example.com") == stored
    assert "<script>" not in answer.text and "\r\nBcc" not in answer.text
    assert status(site, "name@example.com") == Status.ACTIVE


def test_a_name_that_spells_a_slot_stays_a_name() -> None:
    from briefing.mail.slots import NAME_SLOT, PREFERENCES_SLOT, UNSUBSCRIBE_SLOT

    filled = personalize(f"Hi{NAME_SLOT} <a href='{UNSUBSCRIBE_SLOT}'>u</a> {PREFERENCES_SLOT}",
                         name=UNSUBSCRIBE_SLOT, unsubscribe_url="/u?a=1&b=2",
                         preferences_url="/p", is_html=True)
    assert filled == f"Hi {UNSUBSCRIBE_SLOT} <a href='/u?a=1&amp;b=2'>u</a> /p"


def zone_of(site: Site, email: str) -> str | None:
    with site.db.session() as session:
        return session.scalars(select(Subscriber.timezone)
                               .where(Subscriber.email_key == email)).one()


def test_a_reader_sets_and_clears_their_time_zone_and_a_bad_one_changes_nothing(
        site: Site) -> None:
    token = active_reader(site, "tz@example.com")
    url = f"/preferences/{token}"
    page = preferences_page(site, token)
    assert 'name="timezone"' in page.text and '<option value="Asia/Tokyo">' in page.text
    saved = save(site, url, page, lists=["daily"], timezone="Asia/Tokyo")
    assert_page(saved, 200)
    assert zone_of(site, "tz@example.com") == "Asia/Tokyo"
    assert 'value="Asia/Tokyo"' in preferences_page(site, token).text
    refused = save(site, url, preferences_page(site, token), lists=[],
                   timezone="<script>Mars/Olympus</script>")
    assert_page(refused, 400, "Please choose a time zone from the list")
    assert "<script>Mars" not in refused.text
    assert zone_of(site, "tz@example.com") == "Asia/Tokyo"
    assert status(site, "tz@example.com") == Status.ACTIVE  # the list was not left either
    save(site, url, preferences_page(site, token), lists=["daily"], timezone="", zone_shown="1")
    assert zone_of(site, "tz@example.com") is None


def test_a_reader_chooses_weekdays_only_for_one_list_and_a_forged_choice_is_refused(
        site: Site) -> None:
    create_list(site.db, "evening", ListChanges(name="Evening", from_address="e@example.org"))
    token = active_reader(site, "often@example.com", "daily", "evening")
    url = f"/preferences/{token}"
    page = preferences_page(site, token)
    assert page.text.count('name="frequency"') == 2
    save(site, url, page, lists=["daily", "evening"], frequency=["daily:weekdays"])
    with site.db.session() as session:
        often = dict(session.execute(
            select(Subscription.list_id, Subscription.frequency).join(Subscriber)
            .where(Subscriber.email_key == "often@example.com")).tuples().all())
    assert sorted(str(v) for v in often.values()) == ["daily", "weekdays"]
    assert 'value="daily:weekdays" selected' in preferences_page(site, token).text
    forged = save(site, url, preferences_page(site, token), lists=["daily", "evening"],
                  frequency=["daily:hourly"])
    assert_page(forged, 400, "Please choose how often")
    assert 'value="daily:weekdays" selected' in preferences_page(site, token).text


def choices_of(site: Site, email: str) -> tuple[str, int, str]:
    with site.db.session() as session:
        row = session.execute(
            select(Subscription.frequency, Subscription.weekly_day, Subscription.topics)
            .join(Subscriber).where(Subscriber.email_key == email)).one()
    return str(row.frequency), row.weekly_day, row.topics


def test_a_reader_chooses_a_weekly_day_and_topics_and_forged_ones_change_nothing(
        site: Site) -> None:
    from briefing.subscribers.list_rules import RulesChange
    from briefing.subscribers.lists import update_list

    update_list(site.db, "daily", ListChanges(rules=RulesChange(tags=["markets", "science"])))
    token = active_reader(site, "weekly@example.com")
    url = f"/preferences/{token}"
    page = preferences_page(site, token)
    assert 'value="daily:weekly:friday"' in page.text
    assert 'name="topic" value="daily:markets"' in page.text
    saved = save(site, url, page, lists=["daily"], frequency=["daily:weekly:friday"],
                 topics_shown=["daily"], topic=["daily:science"])
    assert_page(saved, 200)
    assert choices_of(site, "weekly@example.com") == ("weekly", 4, '["science"]')
    shown = preferences_page(site, token).text
    assert 'value="daily:weekly:friday" selected' in shown
    assert 'value="daily:science" checked' in shown and 'value="daily:markets" checked' not in shown
    for forged in ({"frequency": ["daily:weekly:funday"]},
                   {"topics_shown": ["daily"], "topic": ["daily:<b>gossip</b>"]}):
        refused = save(site, url, preferences_page(site, token), lists=["daily"], **forged)
        assert_page(refused, 400, "Please choose")
        assert "<b>gossip" not in refused.text
        assert choices_of(site, "weekly@example.com") == ("weekly", 4, '["science"]')
    # Ticking every topic is the same as none: the whole edition.
    save(site, url, preferences_page(site, token), lists=["daily"], topics_shown=["daily"],
         topic=["daily:markets", "daily:science"], frequency=["daily:daily"])
    assert choices_of(site, "weekly@example.com") == ("daily", 4, "")
