"""Every intake (stdin, LMTP, IMAP, webhooks) hands a received report to `record`.

Recording reads the report, ties it to the copy it is about — by the signed VERP token in the
address it was sent to, else by the keyed Message-ID it quotes — stores it with the raw
message, and applies the outcome (briefing.feedback.outcomes) in the same transaction. A
report that ties to nothing we sent changes nothing and is kept for inspection; the same
report received twice is recognised by its digest and changes nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from briefing.core import metrics
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import Delivery, FeedbackReport
from briefing.feedback import outcomes
from briefing.feedback.mime import ReportError
from briefing.feedback.model import Kind, RecipientReport, Report
from briefing.feedback.outcomes import UNSUBSCRIBE
from briefing.feedback.report import read_report
from briefing.feedback.webhooks.events import EventKind, WebhookEvent
from briefing.mail import verp

__all__ = ["MAX_STORED_BYTES", "Reading", "Recorded", "read_and_match", "record",
           "record_event"]

log = logging.getLogger(__name__)

# The raw message kept for an operator to read; a 20 MB "report" is kept as its first MB.
MAX_STORED_BYTES = 1 << 20


@dataclass(frozen=True)
class Recorded:
    report_id: int
    kind: str
    matched_by: str | None
    delivery_id: int | None
    action: str
    duplicate: bool = False


@dataclass(frozen=True)
class Reading:
    """What a received message says and which copy of ours it is about."""

    kind: Kind
    about: RecipientReport | None
    delivery_id: int | None
    matched_by: str | None
    note: str = ""


def record(db: Database, settings: Settings, raw: bytes, source: str,
           envelope_to: tuple[str, ...] = ()) -> Recorded:
    """Store `raw` as a report from `source` and apply what it says, once."""
    digest = hashlib.sha256(raw).hexdigest()
    with db.session() as session:
        existing = session.scalar(select(FeedbackReport).where(FeedbackReport.digest == digest))
        if existing is not None:
            return _recorded(existing, duplicate=True)
        reading = read_and_match(session, settings, raw, envelope_to)
        row = _stored(digest, source, raw, reading)
        session.add(row)
        session.flush()
        outcomes.apply(session, settings, row)
        done = _recorded(row)
    metrics.count(metrics.FEEDBACK_REPORTS, kind=done.kind, source=_source_label(source))
    return done


def _source_label(source: str) -> str:
    """How a report came, as few labels as intakes (a free-form source would not do)."""
    return source.split(":")[0][:20]


def read_and_match(session: Session, settings: Settings, raw: bytes,
                   envelope_to: tuple[str, ...] = ()) -> Reading:
    try:
        report = read_report(raw)
    except ReportError as exc:
        return Reading(Kind.NONE, None, None, None, f"not readable as mail: {exc}")
    except Exception as exc:  # a parser bug meeting hostile input must not lose the message
        log.exception("reading a report failed")
        return Reading(Kind.NONE, None, None, None, f"reading failed ({type(exc).__name__})")
    delivery_id, matched_by = _match(report, settings, envelope_to)
    about = _about(session, report, delivery_id)
    kind = about.kind if about is not None else Kind.NONE
    note = "; ".join(report.notes) if not report.is_report else ""
    if report.is_report and delivery_id is None:
        note = "matches no message we sent: changes nothing"
    return Reading(kind, about, delivery_id, matched_by, note)


def _match(report: Report, settings: Settings, envelope_to: tuple[str, ...],
           ) -> tuple[int | None, str | None]:
    key = settings.secret_key
    for address in (*envelope_to, *report.envelope_addresses):
        delivery_id = verp.delivery_of_address(address, key)
        if delivery_id is not None:
            return delivery_id, "verp"
    if report.message_id:
        delivery_id = verp.delivery_of_message_id(report.message_id, key)
        if delivery_id is not None:
            return delivery_id, "message_id"
    return None, None


def _about(session: Session, report: Report, delivery_id: int | None) -> RecipientReport | None:
    """The recipient report about our copy: the one naming its reader, else the first."""
    if not report.recipients:
        return None
    delivery = session.get(Delivery, delivery_id) if delivery_id is not None else None
    if delivery is not None:
        for candidate in report.recipients:
            if candidate.recipient and candidate.recipient.lower() == delivery.email.lower():
                return candidate
    return report.recipients[0]


def _stored(digest: str, source: str, raw: bytes, reading: Reading) -> FeedbackReport:
    about = reading.about
    return FeedbackReport(
        digest=digest, source=source[:40], kind=reading.kind.value,
        recipient=(about.recipient or "")[:320] if about else None,
        status=about.status if about else None, reason=(about.reason if about else "")[:200],
        diagnostic=(about.diagnostic if about else "")[:2000],
        matched_by=reading.matched_by, delivery_id=reading.delivery_id,
        raw=raw[:MAX_STORED_BYTES], note=reading.note[:2000], changes={})


def _recorded(row: FeedbackReport, duplicate: bool = False) -> Recorded:
    return Recorded(row.id, row.kind, row.matched_by, row.delivery_id, row.action, duplicate)


# The provider events that say something about a reader; deliveries, opens and clicks are not
# stored (they would be most of the traffic).
_EVENT_KINDS = {EventKind.COMPLAINT: Kind.COMPLAINT, EventKind.UNSUBSCRIBE: UNSUBSCRIBE}


def record_event(db: Database, settings: Settings, event: WebhookEvent, body: bytes,
                 index: int) -> Recorded | None:
    """Store and apply one authenticated provider event (None for events we do not keep).
    The digest covers the body and the event's place in it, so a re-posted body counts once."""
    kind = _event_kind(event)
    if kind is None:
        return None
    digest = hashlib.sha256(b"%s|%d|" % (event.provider.encode(), index) + body).hexdigest()
    with db.session() as session:
        existing = session.scalar(select(FeedbackReport).where(FeedbackReport.digest == digest))
        if existing is not None:
            return _recorded(existing, duplicate=True)
        delivery_id, matched_by = _event_delivery(session, settings, event)
        row = FeedbackReport(
            digest=digest, source=f"webhook:{event.provider}"[:40], kind=kind,
            recipient=(event.recipient or "")[:320] or None, status=None,
            reason=event.reason[:200], diagnostic="", matched_by=matched_by,
            delivery_id=delivery_id, raw=json.dumps(event.__dict__, default=str).encode(),
            note="" if delivery_id else "matches no message we sent: changes nothing",
            changes={})
        session.add(row)
        session.flush()
        outcomes.apply(session, settings, row)
        done = _recorded(row)
    metrics.count(metrics.FEEDBACK_REPORTS, kind=done.kind, source=f"webhook:{event.provider}")
    return done


def _event_kind(event: WebhookEvent) -> str | None:
    if event.kind == EventKind.BOUNCE:
        return Kind.HARD if event.hard else Kind.SOFT
    found = _EVENT_KINDS.get(event.kind)
    return str(found) if found else None


def _event_delivery(session: Session, settings: Settings, event: WebhookEvent,
                    ) -> tuple[int | None, str | None]:
    """Our keyed Message-ID when the provider echoes it; else the newest copy to the
    address (the call is signed by the provider, so its word for the address is trusted)."""
    if event.message_id:
        delivery_id = verp.delivery_of_message_id(event.message_id, settings.secret_key)
        if delivery_id is not None:
            return delivery_id, "message_id"
    if event.recipient:
        newest = session.scalar(select(Delivery.id).where(
            func.lower(Delivery.email) == event.recipient.lower())
            .order_by(Delivery.id.desc()).limit(1))
        if newest is not None:
            return newest, "recipient"
    return None, None
