"""Double opt-in against what the world does to it: the real app under uvicorn (as `briefing
serve` runs it), real HTTP (httpx), the confirmation mail over real SMTP (aiosmtpd), SQLite.

Mail gateways open every link in a message, and anyone can type anyone's address into a
sign-up form: a link opened by a machine must confirm nothing, and nothing a stranger typed
may reach the inbox they named.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from briefing.core.models import Subscriber
from briefing.subscribers import subscriptions as subs
from tests.api.test_public_pages import (
    Status,
    assert_page,
    click_confirm,
    confirm_link,
    form_token,
    shown_name,
    sign_up,
    status,
    subscription,
)
from tests.support.cli import run
from tests.support.site import Site

PHISH = "URGENT: your account is suspended, verify at http://evil.example/login now"
LONGEST = "N" * 100


def name_of(site: Site, email: str) -> str:
    with site.db.session() as session:
        return session.scalars(select(Subscriber.name)
                               .where(Subscriber.email_key == email)).one()


def everything_in(message: EmailMessage) -> str:
    """Every header and every part's decoded text, as the recipient would see them."""
    parts = [f"{key}: {value}" for key, value in message.items()]
    for kind in ("plain", "html"):
        body = message.get_body(preferencelist=(kind,))
        assert body is not None
        parts.append(body.get_content())
    return "\n".join(parts)


def api_sign_up(site: Site, email: str, name: str, slug: str = "daily") -> httpx.Response:
    with site.client() as stranger:
        return stranger.post("/api/subscribe", json={"list": slug, "email": email,
                                                     "name": name})


# ---------------------------------------------------------------- link scanners (item 7)


def test_a_link_scanner_opening_the_confirmation_link_confirms_nothing(site: Site) -> None:
    sign_up(site, "scanned@example.com")
    link = confirm_link(site, "scanned@example.com")
    for _ in range(3):  # a gateway, the reader's antivirus, a preview pane: no cookies
        with httpx.Client(timeout=10) as scanner:
            assert_page(scanner.get(link), 200, "Yes, subscribe me", 'method="post"')
            assert_page(scanner.post(link, data={}), 403, "nothing was changed")
    assert status(site, "scanned@example.com") == Status.PENDING

    assert_page(click_confirm(site, link), 200, "Subscription confirmed")
    assert status(site, "scanned@example.com") == Status.ACTIVE


def test_the_button_of_an_already_confirmed_link_says_so_and_changes_nothing(
        site: Site) -> None:
    sign_up(site, "twice@example.com")
    link = confirm_link(site, "twice@example.com")
    with httpx.Client(timeout=10) as browser:
        page = browser.get(link)
        first = browser.post(link, data={"csrf_token": form_token(page), "name": "Ann"})
        again = browser.post(link, data={"csrf_token": form_token(page), "name": "Bob"})
    assert_page(first, 200, "Subscription confirmed")
    assert_page(again, 200, "Already confirmed")
    assert name_of(site, "twice@example.com") == "Ann"


# ---------------------------------------------------------------- a stranger's text (item 8)


@pytest.mark.parametrize("door", ["api", "form"])
def test_the_confirmation_email_carries_nothing_a_stranger_typed(site: Site, door: str) -> None:
    email = f"{door}-victim@example.com"
    if door == "api":
        assert api_sign_up(site, email, PHISH).status_code == 202
    else:
        assert_page(sign_up(site, email, PHISH), 200, "Check your inbox")
    link = confirm_link(site, email)
    mail = everything_in(site.smtp.recorder.to(email)[-1].message)
    for fragment in ("URGENT", "suspended", "evil.example"):
        assert fragment not in mail, mail
    assert site.smtp.recorder.to(email)[-1].message["To"] == email
    assert name_of(site, email) == ""  # not the person's name: nobody has vouched for it

    # The owner sees it on the confirmation page, and decides.
    with httpx.Client(timeout=10) as browser:
        page = browser.get(link)
        assert shown_name(page) == PHISH
        browser.post(link, data={"csrf_token": form_token(page), "name": ""})
    assert status(site, email) == Status.ACTIVE
    assert name_of(site, email) == ""


def test_the_name_given_at_sign_up_is_the_readers_once_they_confirm_it(site: Site) -> None:
    sign_up(site, "ada@example.com", "  Ada \n Lovelace ")
    assert_page(click_confirm(site, confirm_link(site, "ada@example.com")), 200,
                "Subscription confirmed")
    assert name_of(site, "ada@example.com") == "Ada Lovelace"
    row = subscription(site, "ada@example.com")
    assert row is not None and row.signup_name is None


def test_a_sign_up_for_a_subscribed_address_never_renames_its_reader(site: Site) -> None:
    subs.add_subscriber(site.db, "daily", "known@example.com")  # no name yet
    for slug in ("daily", "weekly"):
        assert api_sign_up(site, "known@example.com", PHISH, slug).status_code == 202
        assert_page(sign_up(site, "known@example.com", PHISH, slug), 200)
    assert name_of(site, "known@example.com") == ""
    assert status(site, "known@example.com") == Status.ACTIVE


# ---------------------------------------------------------------- one name rule, every door


def test_a_name_over_100_characters_is_refused_at_every_web_door(site: Site) -> None:
    too_long = LONGEST + "N"
    answer = api_sign_up(site, "api@example.com", too_long)
    assert answer.status_code == 422 and "longer than 100" in answer.json()["error"]["message"]
    assert_page(sign_up(site, "form@example.com", too_long), 400, "longer than 100")
    with site.client() as admin:
        added = admin.post("/api/lists/daily/subscribers", json={
            "email": "admin@example.com", "name": too_long},
            headers={"Authorization": "Bearer test-token"})
    assert added.status_code == 422 and "longer than 100" in added.text
    for email in ("api@example.com", "form@example.com", "admin@example.com"):
        assert subscription(site, email) is None

    token = subs.unsubscribe_token(site.settings, subs.add_subscriber(
        site.db, "daily", "prefs@example.com", "Pat").id)
    page = site.http.get(f"/preferences/{token}")
    assert_page(site.http.post(f"/preferences/{token}", data={
        "csrf_token": form_token(page), "name": too_long, "shown": ["daily"],
        "lists": ["daily"]}), 400, "longer than 100")
    assert name_of(site, "prefs@example.com") == "Pat"

    sign_up(site, "confirm@example.com")
    assert_page(click_confirm(site, confirm_link(site, "confirm@example.com"), name=too_long),
                400, "longer than 100", "Nothing was confirmed", 'aria-invalid="true"')
    assert status(site, "confirm@example.com") == Status.PENDING


def test_a_name_of_100_characters_is_accepted(site: Site) -> None:
    assert api_sign_up(site, "api@example.com", LONGEST).status_code == 202
    assert_page(sign_up(site, "form@example.com", LONGEST), 200, "Check your inbox")
    assert_page(click_confirm(site, confirm_link(site, "form@example.com")), 200)
    assert name_of(site, "form@example.com") == LONGEST


def test_a_name_over_100_characters_is_refused_by_the_cli_and_the_csv_import(
        cli: CliRunner, tmp_path: Path) -> None:
    run(cli, "lists", "create", "daily", "--name", "Daily", "--from", "news@example.org")
    refused = run(cli, "subscribers", "add", "a@example.com", "--list", "daily",
                  "--name", "N" * 101, code=1)
    assert "longer than 100" in refused
    csv = tmp_path / "readers.csv"
    csv.write_text(f"email,name\nok@example.com,{LONGEST}\nlong@example.com,{'N' * 101}\n")
    report = run(cli, "subscribers", "import", str(csv), "--list", "daily")
    assert "longer than 100" in report
    listed = run(cli, "subscribers", "list", "--list", "daily")
    assert "ok@example.com" in listed and "long@example.com" not in listed
    assert "a@example.com" not in listed

