"""`briefing bounces serve`: an LMTP receiver a mail server hands the bounce domain to.

Postfix (or Exim, or any MTA) delivers mail for `bounces+…@news.example.org` over LMTP; each
message is recorded through `intake.record` with the addresses it was delivered to, and only
then accepted. When the database is down the answer is 451 (try again later), so the mail
server keeps the report and retries: nothing is lost.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from sqlalchemy.exc import InterfaceError, OperationalError

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.errors import ServiceDown
from briefing.feedback import intake

__all__ = ["LmtpIntake", "serve_forever", "start"]

log = logging.getLogger(__name__)
MAX_MESSAGE_BYTES = 50 << 20


class LmtpIntake:
    """The aiosmtpd handler: one `record` per message, one reply line per recipient."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.settings = db, settings

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        recipients = [str(r) for r in envelope.rcpt_tos] or ["-"]
        raw = bytes(envelope.original_content or envelope.content or b"")
        try:
            done = intake.record(self.db, self.settings, raw, "lmtp", tuple(recipients))
        except (ServiceDown, OperationalError, InterfaceError) as exc:
            log.warning("report not recorded, the sender will retry: %s", exc)
            reply = "451 4.3.0 cannot store the report now; try again later"
        else:
            log.info("report %d: %s (%s)", done.report_id, done.kind, done.action)
            reply = "250 2.0.0 recorded"
        # LMTP answers DATA once per recipient (RFC 2033 §4.2).
        return "\r\n".join([reply] * len(recipients))


class _LmtpController(Controller):
    def factory(self) -> LMTP:
        return LMTP(self.handler, data_size_limit=MAX_MESSAGE_BYTES, enable_SMTPUTF8=True,
                    decode_data=False)


def start(db: Database, settings: Settings, host: str, port: int) -> Controller:
    controller = _LmtpController(LmtpIntake(db, settings), hostname=host, port=port)
    controller.start()
    return controller


def serve_forever(db: Database, settings: Settings, host: str, port: int) -> None:
    controller = start(db, settings, host, port)
    log.info("LMTP intake on %s:%d", host, port)
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()
