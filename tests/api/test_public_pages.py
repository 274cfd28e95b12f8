"""The public pages end to end: the real app under uvicorn on a free port, real HTTP (httpx),
confirmation mail over real SMTP (aiosmtpd), tasks run in-process (embedded mode), SQLite."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import time_machine
from sqlalchemy import select

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.models import Subscriber, Subscription, SubscriptionStatus
from briefing.subscribers import subscriptions as subs
from briefing.web.csrf import COOKIE
from tests.support.databases import make_settings
from tests.support.site import Site
from tests.support.worker import wait_for

Status = SubscriptionStatus
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
NAME_FIELD = re.compile(r'name="name" type="text" value="([^"]*)"')
CSP = ("default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


# ---------------------------------------------------------------- helpers


def form_token(page: httpx.Response) -> str:
    found = CSRF_FIELD.search(page.text)
    assert found, page.text
    return found.group(1)


def sign_up(site: Site, email: str, name: str = "", slug: str = "daily") -> httpx.Response:
    token = form_token(site.http.get(f"/subscribe/{slug}"))
    return site.http.post(f"/subscribe/{slug}",
                          data={"email": email, "name": name, "csrf_token": token})


def confirm_link(site: Site, email: str) -> str:
    # The confirmation is sent after the answer (as a real inbox, it arrives a moment later).
    wait_for(lambda: site.smtp.recorder.to(email), 10, what=f"mail to {email}")
    sent = site.smtp.recorder.to(email)
    text = sent[-1].message.get_body(preferencelist=("plain",))
    assert text is not None
    found = re.search(re.escape(site.url) + r"/confirm/[\w.\-]+", text.get_content())
    assert found, text.get_content()
    return found.group(0)


def shown_name(page: httpx.Response) -> str:
    found = NAME_FIELD.search(page.text)
    assert found, page.text
    return html.unescape(found.group(1))


def click_confirm(site: Site, link: str, **fields: str) -> httpx.Response:
    """Open the emailed link in a browser of its own and press the page's button, sending
    the name field as the page filled it in unless `fields` says otherwise."""
    with httpx.Client(timeout=10) as browser:
        page = browser.get(link)
        assert_page(page, 200, "Confirm your subscription", "Yes, subscribe me")
        return browser.post(link, data={"csrf_token": form_token(page),
                                        "name": shown_name(page), **fields})


def subscription(site: Site, email: str, slug: str = "daily") -> Subscription | None:
    from briefing.core.models import MailingList

    with site.db.session() as session:
        return session.scalar(
            select(Subscription).join(Subscriber).join(MailingList)
            .where(Subscriber.email_key == email.casefold(), MailingList.slug == slug))


def status(site: Site, email: str, slug: str = "daily") -> Status | None:
    row = subscription(site, email, slug)
    return row.status if row else None


def active_reader(site: Site, email: str, *slugs: str) -> str:
    """An active subscriber; returns the unsubscribe token of the first list."""
    for slug in slugs or ("daily",):
        subs.add_subscriber(site.db, slug, email)
    row = subscription(site, email, (slugs or ("daily",))[0])
    assert row is not None
    return subs.unsubscribe_token(site.settings, row.id)


def assert_page(response: httpx.Response, status_code: int, *texts: str) -> None:
    assert response.status_code == status_code, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == CSP
    assert response.headers["x-content-type-options"] == "nosniff"
    # same-origin, not no-referrer: under no-referrer browsers send `Origin: null` with our
    # own forms, which the CSRF check refuses.
    assert response.headers["referrer-policy"] == "same-origin"
    for text in texts:
        assert text in response.text, (text, response.text)


# ---------------------------------------------------------------- the whole journey


def test_reader_signs_up_confirms_through_the_emailed_link_and_is_active(site: Site) -> None:
    form = site.http.get("/subscribe/daily")
    assert_page(form, 200, "Subscribe to Daily Brief", '<html lang="en">',
                'name="viewport"', '<label for="email">')
    cookie = form.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert site.http.cookies[COOKIE] not in form_token(form)  # the field is signed, not a copy

    answer = site.http.post("/subscribe/daily", data={
        "email": "Reader@Example.com", "name": "Rea Der", "csrf_token": form_token(form)})
    assert_page(answer, 200, "Check your inbox")
    assert status(site, "reader@example.com") == Status.PENDING
    row = subscription(site, "reader@example.com")
    assert row is not None and row.consent_source == "form" and row.consent_ip == "127.0.0.1"

    link = confirm_link(site, "Reader@example.com")
    asked = httpx.get(link, timeout=10)  # a mail client: no cookies of the form's browser
    assert_page(asked, 200, "Confirm your subscription", "Daily Brief", 'method="post"',
                'value="Rea Der"')  # the name typed at sign-up, offered for the reader to keep
    assert status(site, "reader@example.com") == Status.PENDING  # a GET changes nothing
    confirmed = click_confirm(site, link)
    assert_page(confirmed, 200, "Subscription confirmed", "Daily Brief")
    assert status(site, "reader@example.com") == Status.ACTIVE
    assert_page(httpx.get(link, timeout=10), 200, "Already confirmed")
    assert status(site, "reader@example.com") == Status.ACTIVE


def test_unsubscribe_page_asks_first_and_its_button_unsubscribes(site: Site) -> None:
    token = active_reader(site, "two@example.com", "daily", "weekly")
    page = site.http.get(f"/unsubscribe/{token}")
    assert_page(page, 200, "Unsubscribe from Daily Brief", "Unsubscribe from all lists",
                'method="post"')
    assert status(site, "two@example.com") == Status.ACTIVE  # a GET changes nothing

    done = site.http.post(f"/unsubscribe/{token}",
                          data={"scope": "list", "csrf_token": form_token(page)})
    assert_page(done, 200, "You are unsubscribed", "1 other list", "sign up afresh")
    assert status(site, "two@example.com") == Status.UNSUBSCRIBED
    assert status(site, "two@example.com", "weekly") == Status.ACTIVE

    again = site.http.get(f"/unsubscribe/{token}")
    assert_page(again, 200, "no longer receives Daily Brief", "Unsubscribe from all lists")
    assert "Unsubscribe from Daily Brief" not in again.text


def test_unsubscribe_from_all_lists_ends_every_subscription(site: Site) -> None:
    token = active_reader(site, "all@example.com", "daily", "weekly")
    page = site.http.get(f"/unsubscribe/{token}")
    done = site.http.post(f"/unsubscribe/{token}",
                          data={"scope": "all", "csrf_token": form_token(page)})
    assert_page(done, 200, "any of our lists", "not on any of our lists")
    assert status(site, "all@example.com") == Status.UNSUBSCRIBED
    assert status(site, "all@example.com", "weekly") == Status.UNSUBSCRIBED


def test_one_click_post_unsubscribes_at_once_and_a_get_only_redirects(site: Site) -> None:
    token = active_reader(site, "oneclick@example.com")
    clicked = site.http.get(f"/u/{token}")
    assert clicked.status_code == 303
    assert clicked.headers["location"] == f"/unsubscribe/{token}"
    assert status(site, "oneclick@example.com") == Status.ACTIVE

    provider = site.client()  # mail providers POST without cookies or CSRF tokens
    done = provider.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert_page(done, 200, "You are unsubscribed")
    assert status(site, "oneclick@example.com") == Status.UNSUBSCRIBED
    retry = provider.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert retry.status_code == 200  # a provider's retry must not fail


def test_one_click_post_may_come_as_multipart_form_data(site: Site) -> None:
    token = active_reader(site, "multipart@example.com")
    done = site.client().post(f"/u/{token}", files={"List-Unsubscribe": (None, "One-Click")})
    assert done.status_code == 200, done.text
    assert status(site, "multipart@example.com") == Status.UNSUBSCRIBED


@pytest.mark.parametrize("body", [{}, {"List-Unsubscribe": "yes"}, {"scope": "list"}])
def test_one_click_post_without_the_one_click_body_is_refused(
        site: Site, body: dict[str, str]) -> None:
    token = active_reader(site, "keep@example.com")
    assert_page(site.client().post(f"/u/{token}", data=body), 400, "one-click")
    assert status(site, "keep@example.com") == Status.ACTIVE


# ---------------------------------------------------------------- CSRF


@pytest.mark.parametrize("case", ["no field", "wrong field", "no cookie", "neither"])
def test_sign_up_without_a_matching_csrf_pair_is_refused(site: Site, case: str) -> None:
    browser = site.client() if case in ("no cookie", "neither") else site.http
    token = form_token(site.http.get("/subscribe/daily"))
    data = {"email": "csrf@example.com"}
    if case in ("wrong field", "no cookie"):
        data["csrf_token"] = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        if case == "no cookie":
            data["csrf_token"] = token
    refused = browser.post("/subscribe/daily", data=data)
    assert_page(refused, 403, "Please try again", "nothing was changed")
    assert subscription(site, "csrf@example.com") is None
    assert not site.smtp.messages


def test_unsubscribe_post_without_the_csrf_token_changes_nothing(site: Site) -> None:
    token = active_reader(site, "stay@example.com")
    site.http.get(f"/unsubscribe/{token}")  # has the cookie, but sends no field
    assert_page(site.http.post(f"/unsubscribe/{token}", data={"scope": "all"}), 403)
    assert_page(site.client().post(f"/unsubscribe/{token}",
                                   data={"scope": "all", "csrf_token": "x" * 43}), 403)
    assert status(site, "stay@example.com") == Status.ACTIVE


def test_unsubscribe_post_with_an_unknown_scope_is_refused(site: Site) -> None:
    token = active_reader(site, "scope@example.com")
    page = site.http.get(f"/unsubscribe/{token}")
    answer = site.http.post(f"/unsubscribe/{token}",
                            data={"scope": "everything", "csrf_token": form_token(page)})
    assert_page(answer, 400)
    assert status(site, "scope@example.com") == Status.ACTIVE


# ---------------------------------------------------------------- bad input


INVALID_ADDRESSES = ["", "not-an-email", "a@b@example.com", "x" * 400 + "@ex.org",
                     "a@example.com\r\nBcc: victim@example.org", "<b>@x"]


def test_invalid_addresses_get_the_form_again_with_an_error(site: Site) -> None:
    for email in INVALID_ADDRESSES:
        answer = sign_up(site, email)
        assert_page(answer, 400, "Please enter a valid email address", 'aria-invalid="true"',
                    'name="csrf_token"')
        assert "<b>@x" not in answer.text  # echoed values are escaped
    assert not site.smtp.messages
    with site.db.session() as session:
        assert session.scalar(select(Subscription)) is None


def test_a_ten_thousand_character_name_is_refused_without_echoing_it(site: Site) -> None:
    answer = sign_up(site, "long@example.com", "N" * 10_000)
    assert_page(answer, 400, "Please shorten your name")
    assert "N" * 101 not in answer.text
    assert subscription(site, "long@example.com") is None


def test_unknown_list_gets_a_not_found_page(site: Site) -> None:
    assert_page(site.http.get("/subscribe/no-such-list"), 404, "No such list")
    assert_page(site.http.get("/subscribe/1"), 404)  # never a list reached by its id


# ---------------------------------------------------------------- no enumeration


def test_known_and_unknown_addresses_get_identical_answers(site: Site) -> None:
    subs.add_subscriber(site.db, "daily", "active@example.com")
    pending = sign_up(site, "pending@example.com")
    active_reader(site, "gone@example.com")
    subs.remove_subscriber(site.db, "daily", "gone@example.com")
    answers = [sign_up(site, email) for email in
               ("active@example.com", "pending@example.com", "gone@example.com",
                "new@example.com")]
    assert {a.status_code for a in answers} == {pending.status_code} == {200}
    assert {a.content for a in answers} == {pending.content}
    assert all("set-cookie" not in a.headers for a in answers)

    api = [site.client().post("/api/subscribe", json={"list": "daily", "email": email})
           for email in ("active@example.com", "pending@example.com", "gone@example.com",
                         "fresh@example.com")]
    assert {a.status_code for a in api} == {202}
    assert len({a.content for a in api}) == 1


# ---------------------------------------------------------------- bad links


def _reader_with_tokens(site: Site) -> tuple[int, str, str]:
    sign_up(site, "links@example.com")
    row = subscription(site, "links@example.com")
    assert row is not None
    return row.id, confirm_link(site, "links@example.com").rsplit("/", 1)[1], \
        subs.unsubscribe_token(site.settings, row.id)


def _mangled(site: Site, mangle: str, token: str, other: str, foreign: Settings, *,
             unsubscribe: bool) -> str:
    """`token` broken in the way `mangle` says; `other` is the same reader's other token."""
    row = subscription(site, "links@example.com")
    assert row is not None
    return {
        "tamper": token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
        "truncate": token[: len(token) // 2],
        "garbage": "not-a-token..at-all",
        "foreign-key": subs.unsubscribe_token(foreign, row.id) if unsubscribe
        else subs.confirm_token(foreign, row),
        "other-purpose": other,
        "unknown-subscription": subs.unsubscribe_token(site.settings, row.id + 999),
    }[mangle]


MANGLES = ["tamper", "truncate", "garbage", "foreign-key", "other-purpose",
           "unknown-subscription"]


def test_broken_confirmation_links_get_a_clear_page_and_change_nothing(
        site: Site, tmp_path: Path) -> None:
    _, confirm_token, unsub_token = _reader_with_tokens(site)
    foreign = make_settings(tmp_path / "other", BRIEFING_SECRET_KEY="x" * 40)
    csrf_token = form_token(site.http.get(f"/confirm/{confirm_token}"))
    for mangle in MANGLES:
        bad = _mangled(site, mangle, confirm_token, unsub_token, foreign, unsubscribe=False)
        assert_page(site.http.get(f"/confirm/{bad}"), 400, "does not work")
        assert_page(site.http.post(f"/confirm/{bad}", data={"csrf_token": csrf_token}), 400,
                    "does not work")
    assert status(site, "links@example.com") == Status.PENDING


def test_broken_unsubscribe_links_get_a_clear_page_and_change_nothing(
        site: Site, tmp_path: Path) -> None:
    _, confirm_token, unsub_token = _reader_with_tokens(site)
    subs.confirm(site.db, confirm_token, site.settings)
    foreign = make_settings(tmp_path / "other", BRIEFING_SECRET_KEY="x" * 40)
    csrf_token = form_token(site.http.get(f"/unsubscribe/{unsub_token}"))
    for mangle in MANGLES:
        bad = _mangled(site, mangle, unsub_token, confirm_token, foreign, unsubscribe=True)
        assert_page(site.http.get(f"/unsubscribe/{bad}"), 400, "does not work")
        assert_page(site.http.post(f"/unsubscribe/{bad}", data={
            "scope": "all", "csrf_token": csrf_token}), 400)
        assert_page(site.client().post(f"/u/{bad}", data={"List-Unsubscribe": "One-Click"}),
                    400)
    assert status(site, "links@example.com") == Status.ACTIVE


def test_expired_links_answer_410_gone(site: Site) -> None:
    sid, _, _ = _reader_with_tokens(site)
    row = subscription(site, "links@example.com")
    assert row is not None
    with time_machine.travel(utcnow() - timedelta(days=site.settings.confirm_days + 1)):
        old_confirm = subs.confirm_token(site.settings, row)
    with time_machine.travel(utcnow() - timedelta(days=site.settings.unsubscribe_days + 1)):
        old_unsubscribe = subs.unsubscribe_token(site.settings, sid)
    assert_page(site.http.get(f"/confirm/{old_confirm}"), 410, "expired")
    assert status(site, "links@example.com") == Status.PENDING
    subs.add_subscriber(site.db, "daily", "links@example.com")
    assert_page(site.http.get(f"/unsubscribe/{old_unsubscribe}"), 410, "expired")
    assert_page(site.client().post(f"/u/{old_unsubscribe}",
                                   data={"List-Unsubscribe": "One-Click"}), 410)
    assert status(site, "links@example.com") == Status.ACTIVE


def test_a_confirmation_link_reused_after_unsubscribing_cannot_bring_the_reader_back(
        site: Site) -> None:
    _, confirm_token, unsub_token = _reader_with_tokens(site)
    assert_page(click_confirm(site, f"{site.url}/confirm/{confirm_token}"), 200,
                "Subscription confirmed")
    site.client().post(f"/u/{unsub_token}", data={"List-Unsubscribe": "One-Click"})
    assert_page(site.http.get(f"/confirm/{confirm_token}"), 400, "no longer valid")
    any_form = site.http.get("/subscribe/daily")  # a valid CSRF pair does not help
    assert_page(site.http.post(f"/confirm/{confirm_token}", data={
        "csrf_token": form_token(any_form)}), 400, "no longer valid")
    assert status(site, "links@example.com") == Status.UNSUBSCRIBED


def test_a_token_of_one_list_ends_that_subscription_only(site: Site) -> None:
    daily_token = active_reader(site, "both@example.com", "daily", "weekly")
    site.client().post(f"/u/{daily_token}", data={"List-Unsubscribe": "One-Click"})
    assert status(site, "both@example.com") == Status.UNSUBSCRIBED
    assert status(site, "both@example.com", "weekly") == Status.ACTIVE
    page = site.http.get(f"/unsubscribe/{daily_token}")
    site.http.post(f"/unsubscribe/{daily_token}",
                   data={"scope": "list", "csrf_token": form_token(page)})
    assert status(site, "both@example.com", "weekly") == Status.ACTIVE


# ---------------------------------------------------------------- the public JSON route


def test_api_subscribe_needs_no_token_and_sends_the_confirmation(site: Site) -> None:
    answer = site.client().post("/api/subscribe", json={
        "list": "weekly", "email": "api@example.com", "name": "Api"})
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "accepted"
    row = subscription(site, "api@example.com", "weekly")
    assert row is not None and row.status == Status.PENDING and row.consent_source == "api"
    click_confirm(site, confirm_link(site, "api@example.com"))
    assert status(site, "api@example.com", "weekly") == Status.ACTIVE


@pytest.mark.parametrize(("body", "code"), [
    ({"list": "daily", "email": "nope"}, 422),
    ({"list": "daily", "email": "a@example.com", "name": "N" * 5000}, 422),
    ({"list": "daily"}, 422),
    ({"list": "missing", "email": "a@example.com"}, 404),
])
def test_api_subscribe_refuses_bad_input_with_json_errors(
        site: Site, body: dict[str, str], code: int) -> None:
    answer = site.client().post("/api/subscribe", json=body)
    assert answer.status_code == code, answer.text
    assert answer.json()["error"]["message"]
    assert not site.smtp.messages


# ---------------------------------------------------------------- rate limit


def test_public_routes_answer_429_over_the_limit_but_one_click_still_works(
        make_site: Callable[..., Site]) -> None:
    site = make_site(BRIEFING_PUBLIC_RATE_LIMIT="3")
    token = active_reader(site, "limited@example.com")
    for _ in range(3):
        assert site.http.get("/subscribe/daily").status_code == 200
    page = site.http.get("/subscribe/daily")
    assert_page(page, 429, "Too many requests")
    assert 1 <= int(page.headers["retry-after"]) <= 60
    assert_page(site.http.get(f"/unsubscribe/{token}"), 429)
    api = site.client().post("/api/subscribe", json={"list": "daily", "email": "x@example.com"})
    assert api.status_code == 429 and api.json()["error"]["code"] == "rate_limited"
    assert int(api.headers["retry-after"]) >= 1
    assert subscription(site, "x@example.com") is None

    done = site.client().post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert status(site, "limited@example.com") == Status.UNSUBSCRIBED


def test_the_limit_is_per_client_and_the_window_slides() -> None:
    from briefing.web.ratelimit import RateLimited, RateLimiter

    now = [1000.0]
    limiter = RateLimiter(2, window=60, clock=lambda: now[0])
    limiter.hit("a")
    now[0] += 30
    limiter.hit("a")
    limiter.hit("b")  # another client has its own budget
    with pytest.raises(RateLimited) as refused:
        limiter.hit("a")
    assert refused.value.retry_after == 30  # when the oldest request leaves the window
    now[0] += 30
    limiter.hit("a")  # the first request has left the window; refusals were not counted
    with pytest.raises(RateLimited):
        limiter.hit("a")
