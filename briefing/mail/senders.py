"""Sending mail: one small interface, an SMTP sender and a local outbox for embedded mode.

Errors are split the way SMTP splits them: `TransientError` (4xx, dropped or refused
connections: try again later) and `PermanentError` (5xx: this recipient will not take it).
`MaybeSentError` is the uncomfortable third case: the connection died after the message
was handed over, so it may have been delivered; callers decide deliberately what to do.
"""

from __future__ import annotations

import smtplib
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email import policy as email_policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from types import TracebackType
from typing import Protocol

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.mail.headers import check_header_block
from briefing.mail.smtp_steps import hand_over_envelope, send_body


class MailError(Exception):
    def __init__(self, message: str, *, code: int | None = None, stage: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.stage = stage  # "connect", "mail", "rcpt" or "data": whose fault it was


class TransientError(MailError):
    """Try again later: 4xx replies, timeouts before DATA, refused connections."""


class PermanentError(MailError):
    """This recipient will not accept it: 5xx replies."""


class MaybeSentError(MailError):
    """The connection broke after the message was handed over: it may have been delivered."""


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipient: str
    data: bytes          # the whole message, CRLF line endings
    message_id: str


def _nothing() -> None:
    return None


class Sender(Protocol):
    def __enter__(self) -> Sender: ...
    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...
    def send(self, envelope: Envelope, meanwhile: Callable[[], None] = _nothing) -> str:
        """Send one message; return the server's reply (or the file written).

        `meanwhile` is run once, while waiting (for the server's answer to the envelope,
        or out a rate limit's pause), and always before this message's body is sent."""
        ...


def envelope_for(message: EmailMessage, sender: str, recipient: str) -> Envelope:
    utf8 = _needs_utf8(sender, recipient)
    data = message.as_bytes(policy=email_policy.SMTPUTF8 if utf8 else email_policy.SMTP)
    check_header_block(data, {name.lower() for name in message})
    return Envelope(sender=sender, recipient=recipient, data=data,
                    message_id=str(message["Message-ID"]))


def _needs_utf8(*addresses: str) -> bool:
    return any(not address.isascii() for address in addresses)


class FileSender:
    """Writes each message as an .eml file (and its HTML part beside it) into the outbox."""

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox

    def __enter__(self) -> FileSender:
        self.outbox.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def send(self, envelope: Envelope, meanwhile: Callable[[], None] = _nothing) -> str:
        meanwhile()
        stem = f"{utcnow():%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:10]}"
        path = self.outbox / f"{stem}.eml"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(envelope.data)
        temporary.replace(path)  # a reader never sees half a message
        html = _html_part(envelope.data)
        if html is not None:
            path.with_suffix(".html").write_text(html, encoding="utf-8")
        return f"written {path}"


def _html_part(data: bytes) -> str | None:
    message = BytesParser(policy=email_policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    part = message.get_body(preferencelist=("html",))
    return None if part is None else str(part.get_content())


class Pacer(Protocol):
    def wait(self) -> float:
        """Take the next slot to send in; returns how many seconds away it is."""
        ...


class LocalPacer:
    """`rate` messages per second for this sender alone (see briefing.delivery.pacing for a limit
    shared by every sender using the same SMTP account)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1 / rate
        self.next_slot = 0.0

    def wait(self) -> float:
        now = time.monotonic()
        slot = max(self.next_slot, now)
        self.next_slot = slot + self.interval
        return slot - now


class SMTPSender:
    """One SMTP connection, reused for many messages, with an optional rate limit."""

    def __init__(self, settings: Settings, pacer: Pacer | None = None) -> None:
        self.settings = settings
        self.connection: smtplib.SMTP | None = None
        if pacer is None and settings.smtp_max_rate > 0:
            pacer = LocalPacer(settings.smtp_max_rate)
        self.pacer = pacer

    def __enter__(self) -> SMTPSender:
        self.connection = self._connect()
        return self

    def __exit__(self, *_: object) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
        self.connection = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            if s.smtp_security == "tls":
                connection: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.smtp_host, s.smtp_port, timeout=s.smtp_timeout,
                    context=ssl.create_default_context())
            else:
                connection = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
                if s.smtp_security == "starttls":
                    connection.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                connection.login(s.smtp_user, s.smtp_password)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentError(f"SMTP login refused: {exc.smtp_code}",
                                 code=exc.smtp_code, stage="connect") from None
        except (smtplib.SMTPException, OSError) as exc:
            # A greeting like "421 too many connections" keeps its code: it means slow down.
            raise TransientError(f"cannot reach SMTP server {s.smtp_host}:{s.smtp_port}: {exc}",
                                 code=getattr(exc, "smtp_code", None),
                                 stage="connect") from None
        return connection

    def _pace(self, meanwhile: Callable[[], None]) -> Callable[[], None]:
        """Wait out the rate limit, doing `meanwhile` first; returns what is left to do."""
        wait = self.pacer.wait() if self.pacer is not None else 0.0
        if wait > 0:
            meanwhile()
            time.sleep(wait)
            return _nothing
        return meanwhile

    def send(self, envelope: Envelope, meanwhile: Callable[[], None] = _nothing) -> str:
        connection = self.connection
        if connection is None:
            raise TransientError("SMTP connection is not open")
        meanwhile = self._pace(meanwhile)
        options = ["SMTPUTF8"] if _needs_utf8(envelope.sender, envelope.recipient) else []
        try:
            hand_over_envelope(connection, envelope.sender, envelope.recipient, options,
                               _by_code, self._guarded(connection, meanwhile))
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            self.connection = None  # nothing was handed over yet: safe to retry
            raise TransientError(f"connection lost before the message: {exc}",
                                 stage="connect") from None
        try:
            code, reply = send_body(connection, envelope.data)
        except (smtplib.SMTPServerDisconnected, OSError) as exc:
            # The body may have reached the server before the line went down.
            self.connection = None
            raise MaybeSentError(f"connection lost during the message: {exc}",
                                 stage="data") from None
        if code != 250:
            raise _by_code(code, reply, "data")
        return f"{code} {reply.decode('utf-8', 'replace')}"


    def _guarded(self, connection: smtplib.SMTP,
                 meanwhile: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                meanwhile()
            except BaseException:
                # The server may be waiting for a body: drop the line so it gets none.
                self.connection = None
                connection.close()
                raise
        return run


def _by_code(code: int, reply: bytes | str, stage: str) -> MailError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    message = f"{code} {text}".strip()
    if code < 500:  # 4xx, and the -1 smtplib uses for a garbled reply: try again later
        return TransientError(message, code=code, stage=stage)
    return PermanentError(message, code=code, stage=stage)


def make_sender(settings: Settings, pacer: Pacer | None = None) -> Sender:
    """SMTP when a host is configured; the local outbox otherwise (embedded mode)."""
    if settings.smtp_host:
        return SMTPSender(settings, pacer)
    return FileSender(settings.outbox_dir)
