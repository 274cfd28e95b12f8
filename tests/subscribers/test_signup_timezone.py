"""The sign-up form takes the browser's time zone (a real Chromium with its own zone), keeps
it on the pending subscription, and gives it to the person when they confirm."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from briefing.core.models import Subscriber, Subscription
from briefing.subscribers import subscriptions as subs
from tests.api.test_public_pages import click_confirm, confirm_link, form_token
from tests.support.site import Site


def zone_of(site: Site, email: str) -> str | None:
    with site.db.session() as session:
        return session.scalars(select(Subscriber.timezone)
                               .where(Subscriber.email_key == email)).one()


def pending_zone(site: Site, email: str) -> str | None:
    with site.db.session() as session:
        return session.scalars(select(Subscription.signup_timezone).join(Subscriber)
                               .where(Subscriber.email_key == email)).one()


def test_a_browser_in_tokyo_signs_up_and_the_reader_gets_tokyos_zone_on_confirming(
        site: Site, chromium: Any) -> None:
    context = chromium.new_context(timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.goto(f"{site.url}/subscribe/daily")
    page.get_by_label("Email address").fill("kenji@example.com")
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_selector("text=Check your inbox")
    context.close()
    assert pending_zone(site, "kenji@example.com") == "Asia/Tokyo"
    assert zone_of(site, "kenji@example.com") is None  # not theirs until they confirm
    click_confirm(site, confirm_link(site, "kenji@example.com"))
    assert zone_of(site, "kenji@example.com") == "Asia/Tokyo"
    assert pending_zone(site, "kenji@example.com") is None


def test_a_forged_zone_is_dropped_and_a_sign_up_never_changes_a_readers_own(
        site: Site) -> None:
    subs.add_subscriber(site.db, "daily", "ann@example.com", timezone="Europe/Berlin")
    for email, zone in (("ann@example.com", "Asia/Tokyo"),
                        ("bob@example.com", "<script>x</script>")):
        token = form_token(site.http.get("/subscribe/weekly"))
        answer = site.http.post("/subscribe/weekly", data={
            "email": email, "csrf_token": token, "timezone": zone})
        assert answer.status_code == 200
    assert pending_zone(site, "bob@example.com") is None
    click_confirm(site, confirm_link(site, "ann@example.com"))
    assert zone_of(site, "ann@example.com") == "Europe/Berlin"
