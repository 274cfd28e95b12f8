"""Headers built from a list's settings (name, from name, subject), as a strict parser and
RFC 2919's grammar read them off the wire: a name never adds a `<…>`, raw 8-bit or a break."""

from __future__ import annotations

import re
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage
from pathlib import Path

import pytest

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import EditionStatus, MailingList
from briefing.delivery import send_edition as deliver
from briefing.editions.compose import build_edition
from briefing.editions.service import ensure_edition
from tests.support.briefing_data import add_news, add_readers, list_database
from tests.support.databases import make_settings
from tests.support.smtp import SMTPServer

# RFC 5322 atext and dot-atom-text; RFC 2047 encoded-words as a phrase may hold them
# (section 5 (3): only letters, digits and ! * + - / = _ in the encoded text).
ATEXT = r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]"
DOT_ATOM = rf"{ATEXT}+(?:\.{ATEXT}+)*"
QUOTED = r'"(?:[^"\\\r\n]|\\[\x21-\x7e ])*"'
ENCODED_WORD = r"=\?[A-Za-z0-9_\-]+\?[QqBb]\?[A-Za-z0-9!*+\-/=_]*\?="
WORD = rf"(?:{ENCODED_WORD}|{ATEXT}+|{QUOTED})"
PHRASE = rf"{WORD}(?:[ \t]+{WORD})*"
# RFC 2919: list-id-header = "List-ID:" [phrase] CFWS "<" list-id ">";
# list-id = list-label "." list-id-namespace, both dot-atom-text.
LIST_ID = re.compile(rf"[ \t]*(?P<phrase>{PHRASE})?[ \t]+<(?P<id>{DOT_ATOM}\.{DOT_ATOM})>[ \t]*")


@pytest.fixture
def mail_settings(tmp_path: Path, smtp_server: SMTPServer) -> Settings:
    return make_settings(tmp_path / "var", BRIEFING_BASE_URL="https://news.example.org",
                         **smtp_server.env())


@pytest.fixture
def mail_db(mail_settings: Settings) -> Iterator[Database]:
    with list_database(mail_settings) as db:
        yield db


def send_with_list_settings(db: Database, settings: Settings, smtp: SMTPServer,
                            **values: str) -> bytes:
    with db.session() as session:
        session.execute(MailingList.__table__.update().values(**values))
    add_readers(db, "daily", 1)
    add_news(db, settings, 1)
    edition_id, _ = ensure_edition(db, "daily")
    assert build_edition(db, edition_id, settings) == EditionStatus.SENDING
    deliver.send_some(db, edition_id, settings)
    (received,) = smtp.messages
    return received.data


def raw_header(data: bytes, name: str) -> str:
    """The header's value as it travels, unfolded; it must be plain ASCII."""
    head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8")
    unfolded = re.sub(r"\r\n(?=[ \t])", "", head)
    (value,) = [line.split(":", 1)[1] for line in unfolded.split("\r\n")
                if line.split(":", 1)[0].lower() == name.lower()]
    assert value.isascii(), f"8-bit text in {name}: {value!r}"
    return value


def strictly_parsed(data: bytes) -> EmailMessage:
    """The email package in strict policy raises on any defect, in any header."""
    message = message_from_bytes(data, policy=policy.strict)
    assert isinstance(message, EmailMessage)
    for _, value in message.items():
        str(value)
    return message


def display_text(phrase: str) -> str:
    """What a mail program shows for a phrase: quoted strings and encoded words decoded.
    (Python's address parser keeps the space between two encoded words, which RFC 2047
    drops; `decode_header` follows the RFC.)"""
    if phrase.startswith("=?"):
        return str(make_header(decode_header(phrase)))
    header = policy.strict.header_factory("To", f"{phrase} <x@example.org>")
    assert not header.defects, header.defects
    return str(header.addresses[0].display_name)


def shown(name: str) -> str:
    """The name as it may appear in a header: one line, no encoded-word opener."""
    return " ".join(name.split()).replace("=?", "= ?")


HOSTILE_NAMES = [
    "Café <spoof.list.id>",
    'Daily "Brief" <spoof.list.id>',
    "Mr. Smith's list (private) <a@b>",
    "Zürich\\ «Morgen» \"Post\"",
    "=?utf-8?q?=3Cspoof=2Elist=2Eid=3E?=",
    "日本のニュース " * 20,
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_list_id_is_rfc_2919_whatever_the_list_is_called(
        name: str, mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer) -> None:
    data = send_with_list_settings(mail_db, mail_settings, smtp_server, name=name)
    found = LIST_ID.fullmatch(raw_header(data, "List-Id"))
    assert found, raw_header(data, "List-Id")
    assert found.group("id") == "daily.example.org"
    assert len(found.group("id")) <= 255
    strictly_parsed(data)
    assert display_text(found.group("phrase")) == shown(name)
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))


def test_list_id_of_an_internationalized_domain_is_its_ascii_form(
        mail_db: Database, mail_settings: Settings, smtp_server: SMTPServer) -> None:
    data = send_with_list_settings(mail_db, mail_settings, smtp_server,
                                   from_address="news@bücher.example")
    found = LIST_ID.fullmatch(raw_header(data, "List-Id"))
    assert found and found.group("id") == "daily.xn--bcher-kva.example"


@pytest.mark.parametrize("from_name", HOSTILE_NAMES)
def test_from_name_and_subject_cannot_add_an_address_or_raw_bytes(
        from_name: str, mail_db: Database, mail_settings: Settings,
        smtp_server: SMTPServer) -> None:
    data = send_with_list_settings(mail_db, mail_settings, smtp_server, name=from_name,
                                   from_name=from_name)
    message = strictly_parsed(data)
    (sender,) = message["From"].addresses
    assert sender.addr_spec == "news@example.org"
    from_header = raw_header(data, "From").strip()
    assert from_header.endswith(" <news@example.org>")
    assert display_text(from_header.removesuffix(" <news@example.org>")) == shown(from_name)
    raw_header(data, "Subject")  # ASCII on the wire
    assert shown(from_name) in str(message["Subject"])
