"""The SMTP sender against a server that offers PIPELINING (the counting sink)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from briefing.core.config import Settings
from briefing.mail.senders import Envelope, PermanentError, SMTPSender, TransientError
from tests.support.databases import make_settings
from tests.support.sink import Sink

MESSAGE = b"From: news@example.org\r\nSubject: hello\r\nMessage-ID: <1@example.org>\r\n\r\nhi\r\n"


def envelope(recipient: str = "ann@example.com") -> Envelope:
    return Envelope(sender="news@example.org", recipient=recipient, data=MESSAGE,
                    message_id="<1@example.org>")


@pytest.fixture
def sink() -> Iterator[Sink]:
    with Sink() as running:
        yield running


@pytest.fixture
def settings(tmp_path: Path, sink: Sink) -> Settings:
    return make_settings(tmp_path / "var", **sink.env())


class DatabaseDown(Exception):
    pass


def test_work_done_meanwhile_happens_before_the_body_is_sent(
        sink: Sink, settings: Settings) -> None:
    accepted_when_meanwhile_ran: list[int] = []
    with SMTPSender(settings) as sender:
        sender.send(envelope())
        sender.send(envelope(), lambda: accepted_when_meanwhile_ran.append(
            sink.stats().messages))
    assert accepted_when_meanwhile_ran == [1]
    assert sink.stats().messages == 2


def test_a_failure_meanwhile_drops_the_line_so_the_server_gets_no_body(
        sink: Sink, settings: Settings) -> None:
    def record_outcome() -> None:
        raise DatabaseDown("could not record the previous message")

    with SMTPSender(settings) as sender:
        sender.send(envelope())
        with pytest.raises(DatabaseDown):
            sender.send(envelope(), record_outcome)
        with pytest.raises(TransientError):
            sender.send(envelope())  # the line is gone: nothing half-sent can be finished
    stats = sink.stats()
    assert stats.messages == 1
    assert stats.aborted_connections == 1


@pytest.mark.parametrize("recipient", [
    "x@example.com>\r\nRCPT TO:<evil@example.com",
    "x@example.com\nRSET",
    "<x@example.com>",
])
def test_an_address_that_could_smuggle_a_command_is_refused_before_anything_is_sent(
        sink: Sink, settings: Settings, recipient: str) -> None:
    with SMTPSender(settings) as sender:
        with pytest.raises(PermanentError) as refused:
            sender.send(envelope(recipient))
        assert refused.value.stage == "rcpt"
        sender.send(envelope())  # the session is still usable
    counts = sink.stats()
    assert counts.messages == 1
