"""Subscribers in and out: CSV import and export of a list, one person's data export and erasure.

Import is streamed and written in batches, one transaction each: a crash keeps the finished
batches and a rerun is idempotent.  Consent is never manufactured: a subscription that is
unsubscribed, bounced or complained is never re-activated by an import (the row is rejected
with that reason); a pending one becomes active when the admin imports with status=active.
An existing subscriber's name is only filled when empty (never overwritten: people may have
corrected it themselves); attributes are merged, the file's non-empty values winning.
A file written by export_csv imports back: its `attributes` JSON is merged, its `status` can
only lower a row (pending) or refuse it (unsubscribed, bounced, complained), the timestamp
columns are ignored, and the anti-formula quote is removed.
Parsing (encoding, line numbers, limits) lives in `briefing.subscribers.csv_reader`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, BinaryIO, TextIO, cast

from sqlalchemy import Connection, Insert, Table, bindparam, delete, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from briefing.core.clock import utcnow
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import (
    ConsentSource,
    Frequency,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from briefing.mail.addresses import parse_address
from briefing.subscribers.csv_reader import (
    FORMULA_START,
    MAX_ATTRIBUTES,
    STOPPED,
    Columns,
    ImportReport,
    LineReader,
    Record,
    Row,
    parse_row,
    read_header,
    records,
)
from briefing.subscribers.frequency import Cadence
from briefing.subscribers.topics import chosen_key, topics_of

__all__ = ["erase_subscriber", "export_csv",
           "export_subscriber", "import_csv"]

SUBSCRIBERS = cast(Table, Subscriber.__table__)
ANALYZE_FIRST = 2_000  # created rows before PostgreSQL's statistics are first refreshed
SUBSCRIPTIONS = cast(Table, Subscription.__table__)
EXPORT_COLUMNS = ("email", "name", "status", "consent_source", "consent_at", "confirmed_at",
                  "unsubscribed_at", "created_at", "attributes", "timezone", "frequency",
                  "topics")


def import_csv(db: Database, list_id: int, stream: BinaryIO, *,
               source: ConsentSource = ConsentSource.IMPORT,
               status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
               progress: Callable[[int], None] | None = None,
               batch_size: int = 1000) -> ImportReport:
    """Add the rows of a CSV file (header with an `email` column) to a list.

    `progress` is called after each batch with the number of rows just handled (so tqdm's
    `update` fits).  Raises InputError, writing nothing, when the header is unusable.
    """
    if status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.PENDING):
        raise InputError("an import adds active or pending subscriptions only")
    if not 1 <= batch_size <= 10_000:  # SQLite allows ~32k bound parameters per statement
        raise InputError("batch_size must be between 1 and 10,000")
    with db.session() as session:
        mailing_list = session.get(MailingList, list_id)
        if mailing_list is None:
            raise InputError(f"no list with id {list_id}")
        session.expunge(mailing_list)
    importer = _Importer(db, mailing_list, source, status, progress)
    source_records = records(LineReader(stream))
    columns = read_header(source_records)
    for record in source_records:
        importer.add(record, columns, batch_size)
    importer.flush()
    importer.report.rejected.sort(key=lambda rejected: rejected.line)
    return importer.report


@dataclass(frozen=True)
class _Known:
    id: int
    name: str
    attributes: dict[str, Any]
    timezone: str | None = None


class _Importer:
    """Collects valid rows into a batch and writes each batch in one transaction."""

    def __init__(self, db: Database, mailing_list: MailingList, source: ConsentSource,
                 status: SubscriptionStatus, progress: Callable[[int], None] | None) -> None:
        self.db, self.list_id, self.source, self.status = db, mailing_list.id, source, status
        self.mailing_list = mailing_list
        self.progress = progress
        self.report = ImportReport()
        self.batch: dict[str, Row] = {}
        self.unreported = 0  # rows handled since the last progress call
        self.analyze_at = ANALYZE_FIRST  # subscriptions created when statistics are next due

    def add(self, record: Record, columns: Columns, batch_size: int) -> None:
        if record.blank and not record.problem:
            return
        self.report.rows += 1
        self.unreported += 1
        if record.problem:
            self.report.reject(record.line, record.problem)
            return
        try:
            row = parse_row(record, columns, self.status)
            if row.topics is not None:
                row = replace(row, topics_key=chosen_key(self.mailing_list, row.topics))
        except InputError as exc:
            self.report.reject(record.line, str(exc))
            return
        if row.key in self.batch:
            self.report.unchanged += 1
            self.report.duplicates += 1
            return
        self.batch[row.key] = row
        if len(self.batch) >= batch_size:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            with self.db.engine.begin() as conn:
                _write_batch(conn, self.list_id, self.source, list(self.batch.values()),
                             self.report)
            self.batch = {}
            self._refresh_statistics()
        if self.progress and self.unreported:
            self.progress(self.unreported)
        self.unreported = 0

    def _refresh_statistics(self) -> None:
        """PostgreSQL plans each batch's look-ups from table statistics that autovacuum
        refreshes only now and then. An import that grows a list tenfold would go on being
        planned for the small list (the list's whole subscriptions scanned for each batch:
        quadratic, 1,600 rows/s at 100,000 rows instead of 4,800 at 10,000). Re-analysing
        the two tables each time the import has doubled them costs a few analyses."""
        if self.report.created < self.analyze_at:
            return
        self.analyze_at = 2 * self.report.created
        if self.db.engine.dialect.name == "postgresql":
            with self.db.engine.begin() as conn:
                conn.execute(text(f"ANALYZE {SUBSCRIBERS.name}, {SUBSCRIPTIONS.name}"))


def _write_batch(conn: Connection, list_id: int, source: ConsentSource, rows: list[Row],
                 report: ImportReport) -> None:
    now = utcnow()
    known = _find_subscribers(conn, [row.key for row in rows])
    fresh = [row for row in rows if row.key not in known]
    _insert_ignore(conn, SUBSCRIBERS, ["email_key"], [_new_subscriber(row, now) for row in fresh])
    created_keys = {row.key for row in fresh}
    known.update(_find_inserted(conn, fresh))
    existing = _find_subscriptions(conn, list_id, [known[row.key].id for row in rows])
    plan = _Plan()
    for row in rows:
        plan.classify(row, known[row.key], existing.get(known[row.key].id),
                      row.key in created_keys, report)
    plan.write(conn, list_id, source, now)


def _find_subscribers(conn: Connection, keys: list[str]) -> dict[str, _Known]:
    if not keys:
        return {}
    query = (select(SUBSCRIBERS.c.email_key, SUBSCRIBERS.c.id, SUBSCRIBERS.c.name,
                    SUBSCRIBERS.c.attributes, SUBSCRIBERS.c.timezone)
             .where(SUBSCRIBERS.c.email_key.in_(keys)))
    return {key: _Known(id_, name, attrs if isinstance(attrs, dict) else {}, zone)
            for key, id_, name, attrs, zone in conn.execute(query)}


def _find_inserted(conn: Connection, rows: list[Row]) -> dict[str, _Known]:
    """Ids of subscribers just inserted (executemany cannot return them on every backend)."""
    if not rows:
        return {}
    by_key = {row.key: row for row in rows}
    query = select(SUBSCRIBERS.c.email_key, SUBSCRIBERS.c.id).where(
        SUBSCRIBERS.c.email_key.in_(list(by_key)))
    return {key: _Known(id_, by_key[key].name, by_key[key].attributes, by_key[key].timezone)
            for key, id_ in conn.execute(query)}


@dataclass(frozen=True)
class _Existing:
    id: int
    status: SubscriptionStatus
    cadence: Cadence
    topics: str


def _find_subscriptions(conn: Connection, list_id: int,
                        subscriber_ids: list[int]) -> dict[int, _Existing]:
    columns = SUBSCRIPTIONS.c
    query = (select(columns.subscriber_id, columns.id, columns.status, columns.frequency,
                    columns.weekly_day, columns.topics)
             .where(columns.list_id == list_id, columns.subscriber_id.in_(subscriber_ids)))
    return {sid: _Existing(id_, SubscriptionStatus(status), Cadence(Frequency(often), day),
                           topics)
            for sid, id_, status, often, day, topics in conn.execute(query)}


def _new_subscriber(row: Row, now: datetime) -> dict[str, Any]:
    return {"email": row.email, "email_key": row.key, "name": row.name,
            "attributes": row.attributes, "bounce_count": 0, "created_at": now,
            "updated_at": now, "timezone": row.timezone}


class _Plan:
    """What one batch changes, decided row by row, then written in a few bulk statements."""

    def __init__(self) -> None:
        self.new_subscriptions: dict[SubscriptionStatus, list[int]] = {}
        self.activate: list[int] = []
        self.subscriber_changes: list[dict[str, Any]] = []
        # (cadence, topics key) → readers whose subscription takes them (None: unchanged)
        self.choices: dict[tuple[Cadence | None, str | None], list[int]] = {}

    def classify(self, row: Row, known: _Known, subscription: _Existing | None,
                 created: bool, report: ImportReport) -> None:
        status = subscription.status if subscription else None
        if status in STOPPED:
            report.reject(row.line, f"{status} on this list; not re-activated "
                                    "(needs a fresh opt-in)")
            return
        try:
            changed = not created and self._change_subscriber(row, known)
        except InputError as exc:
            report.reject(row.line, str(exc))
            return
        changed = self._choose(row, known.id, subscription) or changed
        if subscription is None:
            self.new_subscriptions.setdefault(row.status, []).append(known.id)
            report.created += 1
        elif status == SubscriptionStatus.PENDING and row.status == SubscriptionStatus.ACTIVE:
            self.activate.append(subscription.id)
            report.updated += 1
        elif changed:
            report.updated += 1
        else:
            report.unchanged += 1

    def _choose(self, row: Row, subscriber_id: int, subscription: _Existing | None) -> bool:
        """The file's frequency and topics for the reader, when it gives them and they
        differ from what is stored; True if something will change."""
        cadence = row.cadence
        if subscription is not None and cadence is not None and not cadence.changes(
                subscription.cadence.frequency, subscription.cadence.weekly_day):
            cadence = None
        topics = row.topics_key
        if subscription is not None and topics == subscription.topics:
            topics = None
        if cadence is None and topics is None:
            return False
        self.choices.setdefault((cadence, topics), []).append(subscriber_id)
        return True

    def _change_subscriber(self, row: Row, known: _Known) -> bool:
        name = known.name or row.name
        attributes = {**known.attributes, **row.attributes}
        zone = row.timezone or known.timezone  # the file's zone wins when it gives one
        if name == known.name and attributes == known.attributes and zone == known.timezone:
            return False
        if len(attributes) > MAX_ATTRIBUTES:
            raise InputError("the subscriber would have more than 50 attributes")
        self.subscriber_changes.append({"b_id": known.id, "b_name": name, "b_attrs": attributes,
                                        "b_tz": zone})
        return True

    def write(self, conn: Connection, list_id: int, source: ConsentSource,
              now: datetime) -> None:
        if self.subscriber_changes:
            conn.execute(update(SUBSCRIBERS).where(SUBSCRIBERS.c.id == bindparam("b_id"))
                         .values(name=bindparam("b_name"), attributes=bindparam("b_attrs"),
                                 timezone=bindparam("b_tz"), updated_at=now),
                         self.subscriber_changes)
        for status, subscriber_ids in self.new_subscriptions.items():
            conn.execute(_subscriptions_insert(conn, list_id, subscriber_ids, status, source, now))
        for (cadence, topics), subscriber_ids in self.choices.items():
            values: dict[str, Any] = {"updated_at": now}
            if cadence is not None:
                values["frequency"] = cadence.frequency
                if cadence.frequency == Frequency.WEEKLY:
                    values["weekly_day"] = cadence.weekly_day
            if topics is not None:
                values["topics"] = topics
            conn.execute(update(SUBSCRIPTIONS).where(
                SUBSCRIPTIONS.c.list_id == list_id,
                SUBSCRIPTIONS.c.subscriber_id.in_(subscriber_ids)).values(**values))
        if self.activate:
            # The status condition makes a concurrent unsubscribe win over the import.
            conn.execute(update(SUBSCRIPTIONS)
                         .where(SUBSCRIPTIONS.c.id.in_(self.activate),
                                SUBSCRIPTIONS.c.status == SubscriptionStatus.PENDING)
                         .values(status=SubscriptionStatus.ACTIVE, consent_source=source,
                                 consent_at=now, confirmed_at=now, updated_at=now))


def _subscriptions_insert(conn: Connection, list_id: int, subscriber_ids: list[int],
                          status: SubscriptionStatus, source: ConsentSource,
                          now: datetime) -> Insert:
    """INSERT ... SELECT: one statement and no per-row parameter conversion (the hot spot)."""
    columns = SUBSCRIPTIONS.c
    confirmed = now if status == SubscriptionStatus.ACTIVE else None
    values = {"list_id": literal(list_id), "subscriber_id": SUBSCRIBERS.c.id,
              "status": literal(status, columns.status.type),
              "consent_source": literal(source, columns.consent_source.type),
              "consent_at": literal(now, columns.consent_at.type),
              "confirmations_sent": literal(0),
              "confirmed_at": literal(confirmed, columns.confirmed_at.type),
              "created_at": literal(now, columns.created_at.type),
              "updated_at": literal(now, columns.updated_at.type)}
    rows = select(*(value.label(name) for name, value in values.items())).where(
        SUBSCRIBERS.c.id.in_(subscriber_ids))
    return _dialect_insert(conn, SUBSCRIPTIONS).from_select(list(values), rows) \
        .on_conflict_do_nothing(index_elements=["list_id", "subscriber_id"])


def _insert_ignore(conn: Connection, table: Table, unique: list[str],
                   values: list[dict[str, Any]]) -> None:
    """Bulk insert that skips rows a concurrent import (or an earlier run) already added."""
    if values:
        conn.execute(_dialect_insert(conn, table).on_conflict_do_nothing(index_elements=unique),
                     values)


def _dialect_insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    dialect = conn.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"CSV import supports SQLite and PostgreSQL, not {dialect}")


def export_csv(db: Database, list_id: int, out: TextIO, *,
               status: SubscriptionStatus | None = None) -> int:
    """Write a list's subscribers as CSV (streamed); returns the number of data rows."""
    query = (select(Subscriber.email, Subscriber.name, Subscription.status,
                    Subscription.consent_source, Subscription.consent_at,
                    Subscription.confirmed_at, Subscription.unsubscribed_at,
                    Subscription.created_at, Subscriber.attributes, Subscriber.timezone,
                    Subscription.frequency, Subscription.weekly_day, Subscription.topics)
             .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
             .where(Subscription.list_id == list_id).order_by(Subscription.id))
    if status is not None:
        query = query.where(Subscription.status == status)
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    with db.engine.connect() as conn:
        for row in conn.execution_options(yield_per=1000).execute(query):
            *person, often, day, topics = row
            choice = [str(Cadence(Frequency(often), day)), ";".join(topics_of(topics))]
            writer.writerow([_neutralized(_cell(value)) for value in [*person, *choice]])
            count += 1
    return count


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _neutralized(cell: str) -> str:
    """A spreadsheet runs a cell starting with = + - @ (or tab/CR before one) as a formula."""
    # A cell already starting with the quote gets a second one, so import's un-quoting
    # gives it back exactly.
    guarded = cell[:1] in FORMULA_START or (cell[:1] == "'" and cell[1:2] in FORMULA_START)
    return "'" + cell if guarded else cell


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_subscriber(db: Database, email: str) -> dict[str, Any]:
    """Everything held about one person, JSON-ready (a data-subject access request)."""
    key = parse_address(email).key
    with db.session() as session:
        person = session.scalars(select(Subscriber).where(Subscriber.email_key == key)).first()
        if person is None:
            raise InputError("no subscriber with that address")
        rows = session.execute(
            select(Subscription, MailingList).join(MailingList)
            .where(Subscription.subscriber_id == person.id).order_by(Subscription.id)).all()
        return {"email": person.email, "name": person.name, "timezone": person.timezone,
                "attributes": dict(person.attributes or {}),
                "bounce_count": person.bounce_count, "created_at": _iso(person.created_at),
                "updated_at": _iso(person.updated_at),
                "subscriptions": [_subscription_record(sub, lst) for sub, lst in rows]}


def _subscription_record(sub: Subscription, mailing_list: MailingList) -> dict[str, Any]:
    # confirm_nonce is left out: it is a live credential, not information about the person.
    return {"list": {"slug": mailing_list.slug, "name": mailing_list.name},
            "status": str(sub.status), "consent_source": str(sub.consent_source),
            "consent_at": _iso(sub.consent_at), "consent_ip": sub.consent_ip,
            "confirmation_sent_at": _iso(sub.confirmation_sent_at),
            "confirmations_sent": sub.confirmations_sent,
            "confirmed_at": _iso(sub.confirmed_at), "unsubscribed_at": _iso(sub.unsubscribed_at),
            "created_at": _iso(sub.created_at), "updated_at": _iso(sub.updated_at)}


def erase_subscriber(db: Database, email: str) -> bool:
    """Delete one person and all their subscriptions for good; False when unknown."""
    key = parse_address(email).key
    with db.session() as session:
        subscriber_id = session.scalar(select(Subscriber.id).where(Subscriber.email_key == key))
        if subscriber_id is None:
            return False
        # Explicit rather than trusting ON DELETE CASCADE: SQLite ignores it without the pragma.
        session.execute(delete(Subscription).where(Subscription.subscriber_id == subscriber_id))
        session.execute(delete(Subscriber).where(Subscriber.id == subscriber_id))
    return True
