"""The public pages against a hostile client: forged CSRF pairs and cross-site posts, proxy
headers from whoever connects, and signed tokens naming rows that cannot exist. The real app
under uvicorn as `briefing serve` runs it (and `briefing serve` itself), real HTTP (httpx),
SQLite; PostgreSQL for the id look-up."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import time_machine
from sqlalchemy import select

from briefing.cli.ops import proxy_options
from briefing.core.clock import utcnow
from briefing.core.config import ConfigError, Settings, load_settings
from briefing.core.db import Database, upgrade
from briefing.core.models import Subscriber, Subscription
from briefing.subscribers import subscriptions as subs
from briefing.subscribers.lists import ListChanges, create_list
from briefing.subscribers.signed_links import CONFIRM, UNSUBSCRIBE, Signer, TokenError
from briefing.web import csrf
from tests.api.test_public_pages import (
    Status,
    active_reader,
    assert_page,
    confirm_link,
    form_token,
    sign_up,
    status,
    subscription,
)
from tests.support.databases import make_settings
from tests.support.services import free_port
from tests.support.site import Site
from tests.support.worker import ROOT, wait_for

# ---------------------------------------------------------------- CSRF (item 10)


@dataclass
class Form:
    """One public form: the page that shows it, what its POST sends, and whether it acted."""

    page: str
    data: dict[str, object]
    acted: Callable[[], bool]


def _sign_up_form(site: Site) -> Form:
    return Form("/subscribe/daily", {"email": "csrf@example.com"},
                lambda: subscription(site, "csrf@example.com") is not None)


def _confirm_form(site: Site) -> Form:
    sign_up(site, "csrf@example.com")
    return Form(confirm_link(site, "csrf@example.com").removeprefix(site.url), {},
                lambda: status(site, "csrf@example.com") == Status.ACTIVE)


def _unsubscribe_form(site: Site) -> Form:
    token = active_reader(site, "csrf@example.com")
    return Form(f"/unsubscribe/{token}", {"scope": "all"},
                lambda: status(site, "csrf@example.com") != Status.ACTIVE)


def _preferences_form(site: Site) -> Form:
    token = active_reader(site, "csrf@example.com")
    return Form(f"/preferences/{token}", {"shown": ["daily"], "lists": []},
                lambda: status(site, "csrf@example.com") != Status.ACTIVE)


FORMS = {"sign-up": _sign_up_form, "confirm": _confirm_form,
         "unsubscribe": _unsubscribe_form, "preferences": _preferences_form}


def _visit(site: Site, form: Form) -> tuple[str, str]:
    """A browser opens the page: its cookie nonce and the page's hidden field."""
    with site.client() as browser:
        page = browser.get(form.page)
        assert page.status_code == 200, page.text
        return browser.cookies[csrf.COOKIE], form_token(page)


def _post(site: Site, form: Form, cookie: str, field: str, **headers: str) -> httpx.Response:
    with site.client() as browser:  # the cookie by hand: exactly the pair under test
        return browser.post(form.page, data={**form.data, "csrf_token": field},
                            headers={"Cookie": f"{csrf.COOKIE}={cookie}", **headers})


Forgery = tuple[str, str, dict[str, str]]  # cookie, field, headers


def _forgeries(site: Site, form: Form, tmp_path: Path) -> dict[str, Forgery]:
    """Name → (cookie, field, headers) of a request that must change nothing."""
    cookie, field = _visit(site, form)
    other_cookie, other_field = _visit(site, form)
    foreign = make_settings(tmp_path / "foreign", BRIEFING_SECRET_KEY="f" * 40)
    with time_machine.travel(utcnow() - timedelta(seconds=csrf.MAX_AGE + 60)):
        stale = csrf.field_for(cookie, site.settings)
    equal = "A" * 43
    return {
        "an equal cookie and field": (equal, equal, {}),
        "the field of another browser": (cookie, other_field, {}),
        "a field signed with another key": (cookie, csrf.field_for(cookie, foreign), {}),
        "a field signed hours ago": (cookie, stale, {}),
        "a cookie without its field": (other_cookie, "", {}),
        "another site's Origin": (cookie, field, {"Origin": "https://evil.example"}),
        "an opaque Origin": (cookie, field, {"Origin": "null"}),
        "our host on another port": (cookie, field, {"Origin": "http://127.0.0.1:1"}),
        "Sec-Fetch-Site: cross-site": (cookie, field, {"Sec-Fetch-Site": "cross-site"}),
        "Sec-Fetch-Site: same-site": (cookie, field, {"Sec-Fetch-Site": "same-site"}),
    }


@pytest.mark.parametrize("which", FORMS)
def test_every_public_form_refuses_forged_and_cross_site_posts(
        site: Site, which: str, tmp_path: Path) -> None:
    form = FORMS[which](site)
    for name, (cookie, field, headers) in _forgeries(site, form, tmp_path).items():
        refused = _post(site, form, cookie, field, **headers)
        assert refused.status_code == 403, (name, refused.text)
        assert_page(refused, 403, "nothing was changed")
        assert not form.acted(), name

    cookie, field = _visit(site, form)  # our own page, as a browser sends it: accepted
    done = _post(site, form, cookie, field, Origin=site.url, **{"Sec-Fetch-Site": "same-origin"})
    assert done.status_code == 200, done.text
    assert form.acted()


def test_a_cross_site_post_gets_a_page_that_says_so(site: Site) -> None:
    form = _sign_up_form(site)
    cookie, field = _visit(site, form)
    refused = _post(site, form, cookie, field, Origin="https://evil.example")
    assert_page(refused, 403, "Sent from another site", "not ours")


def test_one_click_unsubscribe_is_taken_from_a_providers_server(site: Site) -> None:
    token = active_reader(site, "provider@example.com")
    with site.client() as provider:
        done = provider.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"},
                             headers={"Origin": "https://mail.provider.example",
                                      "Sec-Fetch-Site": "cross-site"})
    assert done.status_code == 200, done.text
    assert status(site, "provider@example.com") == Status.UNSUBSCRIBED


@pytest.mark.parametrize(("url", "origin"), [
    ("https://News.Example.org", "https://news.example.org"),
    ("https://news.example.org:443/briefing/", "https://news.example.org"),
    ("http://news.example.org:8080", "http://news.example.org:8080"),
    ("http://[::1]:8000", "http://[::1]:8000"),
    ("https://bücher.example", "https://xn--bcher-kva.example"),
])
def test_origins_are_compared_as_browsers_write_them(url: str, origin: str) -> None:
    assert csrf.origin_of(url) == origin


# ---------------------------------------------------------------- proxy headers (item 9)


def consent_ip(site: Site, email: str) -> str | None:
    row = subscription(site, email)
    assert row is not None
    return row.consent_ip


def test_a_loopback_client_cannot_pick_its_address_by_default(site: Site) -> None:
    with site.client() as client:
        client.post("/api/subscribe", json={"list": "daily", "email": "a@example.com"},
                    headers={"X-Forwarded-For": "6.6.6.6 forged-consent-ip"})
        page = client.get("/subscribe/daily", headers={"X-Forwarded-For": "6.6.6.7"})
        client.post("/subscribe/daily", data={"email": "b@example.com",
                                              "csrf_token": form_token(page)},
                    headers={"X-Forwarded-For": "6.6.6.8"})
    assert consent_ip(site, "a@example.com") == "127.0.0.1"
    assert consent_ip(site, "b@example.com") == "127.0.0.1"


def test_a_trusted_proxy_names_the_client_and_its_garbage_is_no_consent_ip(
        make_site: Callable[..., Site]) -> None:
    site = make_site(BRIEFING_TRUSTED_PROXIES="127.0.0.1", BRIEFING_PUBLIC_RATE_LIMIT="2")

    def subscribe(email: str, forwarded: str) -> int:
        with site.client() as proxy:
            return proxy.post("/api/subscribe", json={"list": "daily", "email": email},
                              headers={"X-Forwarded-For": forwarded}).status_code

    assert subscribe("a@example.com", "203.0.113.7") == 202
    assert consent_ip(site, "a@example.com") == "203.0.113.7"
    assert subscribe("b@example.com", "6.6.6.6 forged-consent-ip") == 202
    assert consent_ip(site, "b@example.com") is None  # not an IP address: not stored as one
    # The limit counts per forwarded client: 203.0.113.7 has one request left, others theirs.
    assert subscribe("c@example.com", "203.0.113.7") == 202
    assert subscribe("d@example.com", "203.0.113.7") == 429
    assert subscribe("e@example.com", "1.1.1.1, 203.0.113.8") == 202  # the proxy's right-most
    assert consent_ip(site, "e@example.com") == "203.0.113.8"


def test_trusted_proxies_are_parsed_and_a_bad_one_stops_start_up(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, BRIEFING_TRUSTED_PROXIES=" 10.1.2.3/8 , ::1,192.0.2.1 ")
    assert settings.trusted_proxies == ("10.0.0.0/8", "::1", "192.0.2.1")
    assert proxy_options(settings) == {"proxy_headers": True,
                                       "forwarded_allow_ips": "10.0.0.0/8,::1,192.0.2.1"}
    assert proxy_options(make_settings(tmp_path)) == {"proxy_headers": False,
                                                      "forwarded_allow_ips": ""}
    with pytest.raises(ConfigError, match=r"BRIEFING_TRUSTED_PROXIES=.*'proxy\.local'"):
        make_settings(tmp_path, BRIEFING_TRUSTED_PROXIES="10.0.0.1, proxy.local")


@pytest.mark.parametrize(("raw", "stored"), [
    ("203.0.113.7", "203.0.113.7"), (" 2001:DB8::1 ", "2001:db8::1"),
    ("6.6.6.6 forged-consent-ip", None), ("unknown", None), ("", None), (None, None),
    ("1.2.3.4:80", None), ("<script>", None),
])
def test_a_consent_ip_is_an_ip_address_or_nothing(raw: str | None, stored: str | None) -> None:
    assert subs.consent_ip(raw) == stored


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """`briefing serve` in a process of its own, on a free port; returns its URL."""
    procs: list[subprocess.Popen[bytes]] = []

    def start(**env: str) -> str:
        port = free_port()
        full = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFING_")}
        full.update({"BRIEFING_DATA_DIR": str(tmp_path / "var"),
                     "BRIEFING_SECRET_KEY": "s" * 40, **env})
        proc = subprocess.Popen([sys.executable, "-m", "briefing", "serve", "--port", str(port)],
                                cwd=ROOT, env=full, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: proc.poll() is not None or _answers(url), 60, what="briefing serve")
        assert proc.poll() is None, "briefing serve exited"
        return url

    yield start
    for proc in procs:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _database(tmp_path: Path) -> Database:
    settings = load_settings({"BRIEFING_DATA_DIR": str(tmp_path / "var"),
                              "BRIEFING_SECRET_KEY": "s" * 40})
    db = Database(settings.database_url)
    upgrade(db)
    create_list(db, "daily", ListChanges(name="Daily Brief", from_address="news@example.org"))
    return db


def test_briefing_serve_does_not_let_a_local_client_rotate_its_way_past_the_limit(
        serve: Callable[..., str], tmp_path: Path) -> None:
    db = _database(tmp_path)
    url = serve(BRIEFING_PUBLIC_RATE_LIMIT="3")
    answers = []
    with httpx.Client(base_url=url, timeout=10) as client:
        for n in range(4):
            answers.append(client.post("/api/subscribe", headers={
                "X-Forwarded-For": f"203.0.113.{n}"}, json={
                "list": "daily", "email": f"r{n}@example.com"}).status_code)
    assert answers == [202, 202, 202, 429]
    with db.session() as session:
        ips = set(session.scalars(select(Subscription.consent_ip)))
    db.dispose()
    assert ips == {"127.0.0.1"}


# ---------------------------------------------------------------- ids out of range (item 13)

NO_SUCH_IDS = [0, -1, 10**6, 2**31, 2**63 - 1, 2**63, 2**70, True]


@pytest.mark.parametrize("sid", NO_SUCH_IDS, ids=str)
def test_a_signed_link_naming_a_subscription_that_cannot_exist_says_so(
        site: Site, sid: int) -> None:
    active_reader(site, "first@example.com")  # subscription 1: True must not find it
    signer = Signer(site.settings.secret_key)
    unsubscribe, confirm = (signer.sign(UNSUBSCRIBE, {"s": sid}),
                            signer.sign(CONFIRM, {"s": sid, "n": "0" * 16}))
    field = form_token(site.http.get("/subscribe/daily"))
    answers = [
        site.http.get(f"/unsubscribe/{unsubscribe}"),
        site.http.post(f"/unsubscribe/{unsubscribe}", data={"scope": "all", "csrf_token": field}),
        site.http.get(f"/preferences/{unsubscribe}"),
        site.http.post(f"/preferences/{unsubscribe}", data={"csrf_token": field}),
        site.client().post(f"/u/{unsubscribe}", data={"List-Unsubscribe": "One-Click"}),
        site.http.get(f"/confirm/{confirm}"),
        site.http.post(f"/confirm/{confirm}", data={"csrf_token": field}),
    ]
    for answer in answers:
        assert_page(answer, 400, "no longer exists")
    assert status(site, "first@example.com") == Status.ACTIVE


@pytest.mark.parametrize("sid", [2**31, 2**63, 2**70])
def test_ids_past_the_integer_columns_find_nothing_on_either_database(
        any_db: Database, settings: Settings, sid: int) -> None:
    token = Signer(settings.secret_key).sign(UNSUBSCRIBE, {"s": sid})
    for look_up in (subs.peek_unsubscribe, subs.unsubscribe):
        with pytest.raises(TokenError, match="no longer exists"):
            look_up(any_db, token, settings)
    with any_db.session() as session:
        assert session.scalar(select(Subscriber)) is None
