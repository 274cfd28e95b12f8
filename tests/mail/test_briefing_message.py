"""The briefing as a reader's mail program sees it: sent over real SMTP, parsed back."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import insert, select

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import (
    Article,
    ConsentSource,
    Delivery,
    DeliveryStatus,
    Edition,
    EditionStatus,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from briefing.delivery import send_edition as deliver
from briefing.editions.compose import build_edition
from briefing.editions.service import ensure_edition
from briefing.subscribers.subscriptions import add_subscriber
from tests.support.briefing_data import (
    POSTAL,
    add_news,
    add_readers,
    list_database,
    made_up_words,
)
from tests.support.databases import make_settings
from tests.support.smtp import Received, SMTPServer

BASE_URL = "https://news.example.org"
NOW = datetime(2026, 5, 4, 7, 0, tzinfo=UTC)
PAYLOAD = "=?utf-8?q?=0ABcc:_evil@example.com?="
EXPECTED_HEADERS = {"from", "reply-to", "to", "subject", "date", "message-id", "list-id",
                    "list-unsubscribe", "list-unsubscribe-post", "mime-version",
                    "content-type"}


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def mail_settings(tmp_path: Path, smtp_server: SMTPServer) -> Settings:
    return make_settings(tmp_path / "var", BRIEFING_BASE_URL=BASE_URL, **smtp_server.env())


@pytest.fixture
def mail_db(mail_settings: Settings, clock: time_machine.Coordinates) -> Iterator[Database]:
    with list_database(mail_settings) as db:
        yield db


def send_today(db: Database, settings: Settings, day: date | None = None, *,
               failures: int = 0) -> int:
    edition_id, _ = ensure_edition(db, "daily", day)
    assert build_edition(db, edition_id, settings) == EditionStatus.SENDING
    result = deliver.send_some(db, edition_id, settings)
    assert result.retrying == 0 and result.failed == failures, result
    return edition_id


def parsed(received: Received) -> EmailMessage:
    message = message_from_bytes(received.data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def bodies(message: EmailMessage) -> tuple[str, str]:
    text, page = (message.get_body(preferencelist=(kind,)) for kind in ("plain", "html"))
    assert text is not None and page is not None
    for part in (text, page):
        assert part.get_content_charset() == "utf-8"
        part.get_payload(decode=True).decode("utf-8")  # strictly decodable
    return str(text.get_content()), str(page.get_content())


def header_names(data: bytes) -> list[str]:
    head = data.split(b"\r\n\r\n", 1)[0]
    return [line.split(b":", 1)[0].decode("ascii").lower()
            for line in head.split(b"\r\n") if line[:1] not in (b" ", b"\t")]


def only_copy(smtp: SMTPServer, address: str) -> Received:
    found = smtp.recorder.to(address)
    assert len(found) == 1, f"{address} got {len(found)} copies"
    return found[0]


def test_each_reader_gets_a_complete_multipart_briefing(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer) -> None:
    readers = add_readers(mail_db, "daily", 3)
    article_ids = add_news(mail_db, mail_settings, 4)
    edition_id = send_today(mail_db, mail_settings)

    assert sorted(a for m in smtp_server.messages for a in m.recipients) == readers
    with mail_db.session() as session:
        edition = session.get(Edition, edition_id)
        assert edition is not None and edition.status == EditionStatus.SENT
        articles = {a.id: a for a in session.scalars(select(Article))}
    message_ids = set()
    for received in smtp_server.messages:
        message = parsed(received)
        assert message.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain",
                                                                         "text/html"]
        text, page = bodies(message)
        assert message["From"].addresses[0].addr_spec == "news@example.org"
        assert message["From"].addresses[0].display_name == "The Daily Brief"
        assert message["Reply-To"].addresses[0].addr_spec == "editor@example.org"
        assert message["To"].addresses[0].addr_spec == received.recipients[0]
        assert message["Subject"] == ("Daily Brief · 04 May: "
                                      f"{articles[article_ids[-1]].title}")
        assert parsedate_to_datetime(message["Date"]) == NOW
        assert message["List-Id"] == "Daily Brief <daily.example.org>"
        message_ids.add(message["Message-ID"])
        assert re.fullmatch(r"<[^<>@\s]+@example\.org>", message["Message-ID"])

        mailto, https = re.findall(r"<([^<>]+)>", message["List-Unsubscribe"])
        assert mailto.startswith("mailto:news@example.org")
        assert https.startswith(f"{BASE_URL}/")
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        for article_id in article_ids:
            article = articles[article_id]
            assert f'<a href="{article.url}"' in page and article.title in page
            assert article.title in text and article.url in text
            for sentence in article.summary:
                assert sentence in page
        unsubscribe_links = re.findall(rf'href="({BASE_URL}/unsubscribe/[^"]+)"', page)
        assert unsubscribe_links and unsubscribe_links[0] in text
        assert f'href="{BASE_URL}/archive/daily/2026-05-04"' in page  # view in browser
        assert "View in browser" in page
        assert POSTAL in page and POSTAL in text
        preheader = re.search(r'<span class="preheader"[^>]*>([^<]*)</span>', page)
        assert preheader and articles[article_ids[-1]].title in preheader.group(1)
        assert all(len(line) <= 998 for line in received.data.split(b"\r\n"))
        assert set(header_names(received.data)) == EXPECTED_HEADERS
    assert len(message_ids) == len(readers)


def test_each_reader_gets_their_own_unsubscribe_link(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer) -> None:
    readers = add_readers(mail_db, "daily", 2)
    add_news(mail_db, mail_settings, 1)
    send_today(mail_db, mail_settings)
    links = {parsed(only_copy(smtp_server, r))["List-Unsubscribe"] for r in readers}
    assert len(links) == 2


def test_reader_name_is_greeted_and_escaped_in_the_html(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer) -> None:
    add_subscriber(mail_db, "daily", "ann@example.com", "Ann <b>&")
    add_subscriber(mail_db, "daily", "zoe@example.com", "Zoë Ångström")
    add_news(mail_db, mail_settings, 2)
    send_today(mail_db, mail_settings)

    text, page = bodies(parsed(only_copy(smtp_server, "ann@example.com")))
    assert "Good morning Ann &lt;b&gt;&amp;," in " ".join(page.split())
    assert "<b>&" not in page
    assert "Good morning Ann <b>&," in text
    message = parsed(only_copy(smtp_server, "zoe@example.com"))
    assert message["To"].addresses[0].display_name == "Zoë Ångström"
    text, page = bodies(message)
    assert "Good morning Zoë Ångström," in " ".join(page.split())
    assert "Good morning Zoë Ångström," in text


def _raw_subscriber(db: Database, email: str, name: str) -> None:
    """A row as an old import might have left it, without the name cleaning of today."""
    with db.session() as session:
        list_id = session.scalars(select(MailingList.id)).one()
        subscriber_id = session.execute(insert(Subscriber).values(
            email=email, email_key=email, name=name, attributes={}, bounce_count=0)
            .returning(Subscriber.id)).scalar_one()
        session.execute(insert(Subscription).values(
            list_id=list_id, subscriber_id=subscriber_id, status=SubscriptionStatus.ACTIVE,
            consent_source=ConsentSource.IMPORT, confirmations_sent=0))


def test_hostile_title_and_name_cannot_inject_a_header(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer) -> None:
    title = f"Markets rally\r\nBcc: evil@example.com\r\n{PAYLOAD} today"
    add_news(mail_db, mail_settings, 1, title_for={0: title})
    add_subscriber(mail_db, "daily", "form@example.com",
                   f"Eve\r\nBcc: evil@example.com {PAYLOAD}")
    _raw_subscriber(mail_db, "raw@example.com", f"Mal\r\nBcc: evil@example.com\r\n{PAYLOAD}")
    _raw_subscriber(mail_db, "utf@example.com", f"Jörg\nBcc: evil@example.com\n{PAYLOAD}")
    send_today(mail_db, mail_settings)

    assert len(smtp_server.messages) == 3
    for received in smtp_server.messages:
        assert set(header_names(received.data)) == EXPECTED_HEADERS
        message = parsed(received)
        assert message["Bcc"] is None and message["Cc"] is None
        assert len(message["To"].addresses) == 1
        assert received.recipients[0] in str(message["To"])
        assert "evil@example.com" not in received.recipients
        for name in ("Subject", "To"):
            assert "\n" not in str(message[name]) and "\r" not in str(message[name])
        assert "Markets rally" in message["Subject"]


def test_an_address_smuggling_an_smtp_command_is_refused_not_sent(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer) -> None:
    # Stored addresses are validated, but the envelope must not trust that: one written
    # straight into the database must not add a recipient or break the session.
    add_news(mail_db, mail_settings, 1)
    readers = add_readers(mail_db, "daily", 2)
    _raw_subscriber(mail_db, "x@example.com>\r\nRCPT TO:<evil@example.com", "Mal")
    edition_id = send_today(mail_db, mail_settings, failures=1)

    assert sorted(a for m in smtp_server.messages for a in m.recipients) == readers
    with mail_db.session() as session:
        refused = session.execute(select(Delivery.status, Delivery.last_reply).where(
            Delivery.edition_id == edition_id, Delivery.email.startswith("x@"))).one()
    assert refused.status == DeliveryStatus.FAILED
    assert "line break or angle bracket" in (refused.last_reply or "")


def test_a_hundred_long_articles_stay_under_gmails_clipping_size(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer) -> None:
    with mail_db.session() as session:
        session.execute(MailingList.__table__.update().values(max_articles=100))
    add_readers(mail_db, "daily", 1)
    long_titles = {n: f"Story {n}: {made_up_words(n, 30)}" for n in range(100)}
    add_news(mail_db, mail_settings, 100, words=40, title_for=long_titles)
    edition_id = send_today(mail_db, mail_settings)

    text, page = bodies(parsed(smtp_server.messages[0]))
    assert len(page.encode("utf-8")) < 102_000
    shown = len(re.findall(r'<p class="story-title"', page))
    assert 1 <= shown < 100
    link = re.search(r'<a href="([^"]+)"[^>]*>(\d+) more stories in the web version', page)
    assert link, "no link to the web version for the articles left out"
    assert link.group(1) == f"{BASE_URL}/archive/daily/2026-05-04"
    assert int(link.group(2)) == 100 - shown
    assert f"{100 - shown} more stories in the web version" in text
    with mail_db.session() as session:
        edition = session.get(Edition, edition_id)
        assert edition is not None and len(edition.article_ids or []) == shown


def test_internationalized_address_gets_its_copy(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer) -> None:
    add_subscriber(mail_db, "daily", "josé@exämple.org", "José")
    add_readers(mail_db, "daily", 1)
    add_news(mail_db, mail_settings, 1)
    send_today(mail_db, mail_settings)
    received = only_copy(smtp_server, "josé@exämple.org")
    # SMTPUTF8 (RFC 6532): the address travels as raw UTF-8 in the header.
    head = received.data.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    assert re.search(r"^To: .*<josé@exämple\.org>\r?$", head, re.MULTILINE), head
    text, _ = bodies(parsed(received))
    assert "Good morning José," in text
    assert len(smtp_server.messages) == 2


def test_next_days_edition_only_has_the_new_news(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer,
        clock: time_machine.Coordinates) -> None:
    add_readers(mail_db, "daily", 1)
    add_news(mail_db, mail_settings, 2, prefix="Monday")
    send_today(mail_db, mail_settings)
    clock.shift(timedelta(days=1))
    add_news(mail_db, mail_settings, 1, prefix="Tuesday", start=10)
    send_today(mail_db, mail_settings)
    _, tuesday = bodies(parsed(smtp_server.messages[-1]))
    assert "Tuesday number 10" in tuesday and "Monday number" not in tuesday


def test_a_reader_without_a_name_is_greeted_without_a_gap(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer) -> None:
    add_subscriber(mail_db, "daily", "noname@example.com")
    add_news(mail_db, mail_settings, 1)
    send_today(mail_db, mail_settings)
    text, page = bodies(parsed(only_copy(smtp_server, "noname@example.com")))
    assert "Good morning," in text and "Good morning ," not in text
    greeting = " ".join(page.split())
    assert "Good morning," in greeting and "Good morning ," not in greeting


def test_one_click_unsubscribe_from_the_header_stops_the_next_edition(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer,
        clock: time_machine.Coordinates) -> None:
    from fastapi.testclient import TestClient

    from briefing.server import create_app

    readers = add_readers(mail_db, "daily", 3)
    leaving = readers[1]
    add_news(mail_db, mail_settings, 1, prefix="Monday")
    send_today(mail_db, mail_settings)
    header = parsed(only_copy(smtp_server, leaving))["List-Unsubscribe"]
    https = next(u for u in re.findall(r"<([^<>]+)>", header) if u.startswith("https:"))
    assert https.startswith(BASE_URL)

    with TestClient(create_app(mail_settings)) as client:
        answer = client.post(https.removeprefix(BASE_URL),
                             data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200, answer.text
    with mail_db.session() as session:
        statuses = dict(session.execute(
            select(Subscriber.email, Subscription.status)
            .join(Subscription, Subscription.subscriber_id == Subscriber.id)).all())
    assert statuses[leaving] == SubscriptionStatus.UNSUBSCRIBED

    clock.shift(timedelta(days=1))
    smtp_server.messages.clear()
    add_news(mail_db, mail_settings, 1, prefix="Tuesday", start=5)
    send_today(mail_db, mail_settings)
    assert sorted(a for m in smtp_server.messages for a in m.recipients) == [
        r for r in readers if r != leaving]
