"""Polling a bounce mailbox over IMAP, from the worker's schedule (BRIEFING_BOUNCE_IMAP_URL).

Each message is read without marking it seen; one that reads as a report is recorded through
`intake.record` (which commits) and only then flagged deleted and expunged. A message that is
not a report — a reader's reply, a newsletter — is left exactly as it was: not recorded, not
marked, not moved. A crash between the commit and the delete leaves a report that the next
poll records again, which changes nothing (its digest is known) and then deletes it.
"""

from __future__ import annotations

import imaplib
import logging
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.feedback import intake
from briefing.feedback.mime import ReportError
from briefing.feedback.report import read_report

__all__ = ["MailboxPoll", "poll_mailbox"]

log = logging.getLogger(__name__)
MAX_PER_POLL = 500       # the rest waits for the next poll
TIMEOUT_SECONDS = 30


@dataclass
class MailboxPoll:
    seen: int = 0
    recorded: int = 0
    left: int = 0            # not reports: untouched
    errors: list[str] = field(default_factory=list)


def poll_mailbox(db: Database, settings: Settings, url: str) -> MailboxPoll:
    poll = MailboxPoll()
    with _connect(url) as mailbox:
        _, found = mailbox.uid("SEARCH", "ALL")
        uids = [uid.decode() for uid in (found[0] or b"").split()[:MAX_PER_POLL]]
        for uid in uids:
            poll.seen += 1
            _one(mailbox, uid, db, settings, poll)
        if poll.recorded:
            mailbox.expunge()
    return poll


def _one(mailbox: imaplib.IMAP4, uid: str, db: Database, settings: Settings,
         poll: MailboxPoll) -> None:
    raw = _fetch(mailbox, uid)
    if raw is None or not _is_report(raw):
        poll.left += 1
        return
    intake.record(db, settings, raw, "imap")  # committed before the message goes
    mailbox.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
    poll.recorded += 1


def _fetch(mailbox: imaplib.IMAP4, uid: str) -> bytes | None:
    _, data = mailbox.uid("FETCH", uid, "(BODY.PEEK[])")  # PEEK: not marked seen
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    return None


def _is_report(raw: bytes) -> bool:
    try:
        return read_report(raw).is_report
    except ReportError:
        return False


class _Mailbox:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps") or not parts.hostname:
            raise InputError("BRIEFING_BOUNCE_IMAP_URL must look like "
                             "imaps://user:password@host/INBOX")
        port = parts.port or (993 if parts.scheme == "imaps" else 143)
        kind = imaplib.IMAP4_SSL if parts.scheme == "imaps" else imaplib.IMAP4
        self.client = kind(parts.hostname, port, timeout=TIMEOUT_SECONDS)
        self.client.login(unquote(parts.username or ""), unquote(parts.password or ""))
        folder = unquote(parts.path.lstrip("/")) or "INBOX"
        status, _ = self.client.select(folder)
        if status != "OK":
            raise InputError(f"the bounce mailbox has no folder {folder!r}")

    def __enter__(self) -> imaplib.IMAP4:
        return self.client

    def __exit__(self, *_: object) -> None:
        try:
            self.client.close()
            self.client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def _connect(url: str) -> _Mailbox:
    return _Mailbox(url)
