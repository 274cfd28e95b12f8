"""A test copy (`briefing send --to`): one copy of an edition to one address, recording
nothing, so an editor sees what readers get.

Its recipient is not a reader, so its unsubscribe and preferences links (and the one-click
`List-Unsubscribe`) cannot name a subscription: they point to `/test-copy/…`, a page that
says this was a test copy and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import MailingList
from briefing.editions.render import RenderedEdition
from briefing.editions.service import Content, edition_content
from briefing.mail.addresses import parse_address
from briefing.mail.prepared import PreparedMessage, Reader, prepare
from briefing.mail.senders import make_sender
from briefing.subscribers.lists import get_list

PATH = "/test-copy"
UNSUBSCRIBE_LINK = "unsubscribe"
PREFERENCES_LINK = "preferences"


@dataclass(frozen=True)
class TestCopy:
    reply: str          # what the mail server (or the outbox) said
    subject: str
    articles: int       # articles in the copy
    content: Content    # what it was a copy of: a built edition, or today's news


def send_test_copy(db: Database, slug: str, address: str, settings: Settings,
                   day: date | None = None) -> TestCopy:
    """One copy of the list's edition for `day` to `address`; nobody else gets anything."""
    to = parse_address(address)
    mailing_list = get_list(db, slug)
    content = edition_content(db, slug, settings, day)
    if content.rendered is None:
        raise InputError(f"list {slug!r} has no news to send right now")
    envelope = _message(mailing_list, content.rendered).for_reader(
        _reader(to.email, mailing_list, settings))
    with make_sender(settings) as sender:
        reply = sender.send(envelope)
    return TestCopy(reply, content.rendered.subject, content.rendered.articles_shown, content)


def _message(mailing_list: MailingList, rendered: RenderedEdition) -> PreparedMessage:
    return prepare(from_address=mailing_list.from_address, from_name=mailing_list.from_name,
                   reply_to=mailing_list.reply_to, subject=f"[test] {rendered.subject}",
                   list_name=mailing_list.name, list_slug=mailing_list.slug,
                   unsubscribe_mailto=None, text=rendered.text, html=rendered.html)


def link(settings: Settings, which: str) -> str:
    return f"{settings.base_url}{PATH}/{which}"


def _reader(email: str, mailing_list: MailingList, settings: Settings) -> Reader:
    domain = mailing_list.from_address.rpartition("@")[2]
    return Reader(email=email, name="", unsubscribe_url=link(settings, UNSUBSCRIBE_LINK),
                  one_click_url=link(settings, UNSUBSCRIBE_LINK),
                  preferences_url=link(settings, PREFERENCES_LINK),
                  message_id=f"<test.{utcnow():%Y%m%d%H%M%S%f}@{domain}>")
