"""CSV import/export of subscribers, one person's export and erasure, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import (
    ConsentSource,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from briefing.subscribers.csv_reader import ImportReport
from briefing.subscribers.transfer import (
    _neutralized,
    erase_subscriber,
    export_csv,
    export_subscriber,
    import_csv,
)

Status = SubscriptionStatus


def make_list(db: Database, slug: str = "daily") -> int:
    with db.session() as session:
        mailing_list = MailingList(slug=slug, name=slug.title(), from_name="Briefing",
                                   from_address="news@example.com")
        session.add(mailing_list)
        session.flush()
        return mailing_list.id


def run(db: Database, list_id: int, data: str | bytes, **options: Any) -> ImportReport:
    raw = data.encode() if isinstance(data, str) else data
    report = import_csv(db, list_id, io.BytesIO(raw), **options)
    # Every non-blank row is accounted for exactly once.
    assert report.rows == (report.created + report.updated + report.unchanged
                           + report.rejected_count)
    return report


def members(db: Database, list_id: int) -> dict[str, tuple[Status, str, dict[str, Any]]]:
    with db.session() as session:
        rows = session.execute(
            select(Subscriber.email, Subscription.status, Subscriber.name, Subscriber.attributes)
            .join(Subscription, Subscription.subscriber_id == Subscriber.id)
            .where(Subscription.list_id == list_id)).all()
    return {email: (status, name, attributes) for email, status, name, attributes in rows}


def subscription(db: Database, email: str, list_id: int) -> Subscription:
    with db.session() as session:
        return session.scalars(
            select(Subscription).join(Subscriber)
            .where(Subscriber.email == email, Subscription.list_id == list_id)).one()


def set_status(db: Database, email: str, list_id: int, status: Status) -> None:
    with db.session() as session:
        sub = session.scalars(select(Subscription).join(Subscriber).where(
            Subscriber.email == email, Subscription.list_id == list_id)).one()
        sub.status = status


def reasons(report: ImportReport) -> dict[int, str]:
    return {row.line: row.reason for row in report.rejected}


GOOD = "email,name,city\nann@example.com,Ann,Oslo\nbob@example.org,Bob,Rome\n"


def test_good_rows_kept_and_bad_rows_reported_with_line_numbers(any_db: Database) -> None:
    list_id = make_list(any_db)
    data = ("email,name\n"                       # 1
            "ann@example.com,Ann\n"              # 2
            "not-an-email,X\n"                   # 3
            "\n"                                 # 4 blank: skipped silently
            "a@b@example.com,Y\n"                # 5
            ",Nobody\n"                          # 6
            ",\n"                                # 7 only empty cells: blank
            f"long@example.com,{'n' * 10_000}\n"  # 8
            '"multi@example.com","Line\none"\n'  # 9-10: one record on two lines
            "bob@example.org,Bob\n")             # 11
    report = run(any_db, list_id, data)
    assert (report.rows, report.created, report.rejected_count) == (7, 3, 4)
    got = reasons(report)
    assert sorted(got) == [3, 5, 6, 8]
    assert "not a valid email" in got[3] and "not a valid email" in got[5]
    assert got[6] == "email is empty"
    assert "longer than 100" in got[8]
    assert set(members(any_db, list_id)) == {
        "ann@example.com", "multi@example.com", "bob@example.org"}


def test_second_import_of_the_same_file_changes_nothing(any_db: Database) -> None:
    list_id = make_list(any_db)
    first = run(any_db, list_id, GOOD)
    before = subscription(any_db, "ann@example.com", list_id).updated_at
    second = run(any_db, list_id, GOOD)
    assert (first.created, second.created, second.updated, second.unchanged) == (2, 0, 0, 2)
    assert subscription(any_db, "ann@example.com", list_id).updated_at == before
    assert members(any_db, list_id)["ann@example.com"] == (Status.ACTIVE, "Ann", {"city": "Oslo"})


def test_unsubscribed_bounced_and_complained_are_never_reactivated(any_db: Database) -> None:
    list_id = make_list(any_db)
    data = "email\nu@example.com\nb@example.com\nc@example.com\n"
    run(any_db, list_id, data)
    for email, status in (("u@example.com", Status.UNSUBSCRIBED),
                          ("b@example.com", Status.BOUNCED), ("c@example.com", Status.COMPLAINED)):
        set_status(any_db, email, list_id, status)
    report = run(any_db, list_id, data)
    assert report.rejected_count == 3
    assert reasons(report)[2] == (
        "unsubscribed on this list; not re-activated (needs a fresh opt-in)")
    assert "bounced" in reasons(report)[3] and "complained" in reasons(report)[4]
    statuses = {email: row[0] for email, row in members(any_db, list_id).items()}
    assert statuses == {"u@example.com": Status.UNSUBSCRIBED, "b@example.com": Status.BOUNCED,
                        "c@example.com": Status.COMPLAINED}


def test_pending_becomes_active_with_the_import_as_consent(any_db: Database) -> None:
    list_id = make_list(any_db)
    run(any_db, list_id, "email\np@example.com\n", status=Status.PENDING,
        source=ConsentSource.FORM)
    pending = subscription(any_db, "p@example.com", list_id)
    assert (pending.status, pending.confirmed_at) == (Status.PENDING, None)
    report = run(any_db, list_id, "email\np@example.com\n")
    active = subscription(any_db, "p@example.com", list_id)
    assert report.updated == 1
    assert (active.status, active.consent_source) == (Status.ACTIVE, ConsentSource.IMPORT)
    assert active.confirmed_at is not None and active.consent_at >= pending.consent_at
    # A pending import never demotes an active subscriber.
    again = run(any_db, list_id, "email\np@example.com\n", status=Status.PENDING)
    assert again.unchanged == 1
    assert subscription(any_db, "p@example.com", list_id).status == Status.ACTIVE


def test_one_person_on_two_lists(any_db: Database) -> None:
    daily, weekly = make_list(any_db, "daily"), make_list(any_db, "weekly")
    run(any_db, daily, GOOD)
    report = run(any_db, weekly, "email\nANN@Example.com\n")
    assert report.created == 1
    with any_db.session() as session:
        assert session.scalar(select(func.count()).select_from(Subscriber)) == 2
    assert set(members(any_db, weekly)) == {"ann@example.com"}
    assert len(members(any_db, daily)) == 2


def test_empty_name_is_filled_and_attributes_merged(any_db: Database) -> None:
    list_id = make_list(any_db)
    run(any_db, list_id, "email,city\nann@example.com,Oslo\n")
    report = run(any_db, list_id, "email,name,team\nann@example.com,Ann,Red\n")
    assert report.updated == 1
    assert members(any_db, list_id)["ann@example.com"][1:] == (
        "Ann", {"city": "Oslo", "team": "Red"})
    # A name already there is not overwritten by an import.
    run(any_db, list_id, "email,name\nann@example.com,Someone Else\n")
    assert members(any_db, list_id)["ann@example.com"][1] == "Ann"


def test_header_with_bom_and_other_spellings(any_db: Database) -> None:
    list_id = make_list(any_db)
    data = "\ufeff E-Mail Address ,NAME\r\nann@example.com,Ann\r\n".encode()
    report = run(any_db, list_id, data)
    assert (report.created, report.rejected) == (1, [])
    assert members(any_db, list_id)["ann@example.com"][1:] == ("Ann", {})


def test_latin1_line_is_rejected_and_the_others_kept(any_db: Database) -> None:
    list_id = make_list(any_db)
    data = "email,name\nann@example.com,Ann\njose@example.com,José\nbob@example.org,Bob\n"
    report = run(any_db, list_id, data.encode("latin-1"))
    assert report.created == 2
    assert list(reasons(report)) == [3]
    assert reasons(report)[3].startswith("not valid UTF-8 (byte 0xe9")


@pytest.mark.parametrize("data", [
    "name,city\nAnn,Oslo\n", "", "\n\n", "mail\nann@example.com\n",
    "email,E-mail\na@example.com,b@example.com\n",
])
def test_header_without_one_email_column_writes_nothing(any_db: Database, data: str) -> None:
    list_id = make_list(any_db)
    with pytest.raises(InputError, match="email"):
        run(any_db, list_id, data)
    assert members(any_db, list_id) == {}


def test_unknown_list_and_bad_options_are_refused(any_db: Database) -> None:
    with pytest.raises(InputError, match="no list"):
        run(any_db, 999, GOOD)
    list_id = make_list(any_db)
    with pytest.raises(InputError, match="active or pending"):
        run(any_db, list_id, GOOD, status=Status.UNSUBSCRIBED)


def test_duplicate_rows_are_counted_once(any_db: Database) -> None:
    list_id = make_list(any_db)
    data = "email\na@example.com\nA@EXAMPLE.COM\nb@example.com\nc@example.com\na@example.com\n"
    report = run(any_db, list_id, data, batch_size=2)  # a repeat both within and across batches
    assert (report.rows, report.created, report.unchanged, report.rejected) == (5, 3, 2, [])
    assert report.duplicates == 1


def test_one_megabyte_line_is_rejected_and_the_rest_imported(any_db: Database) -> None:
    list_id = make_list(any_db)
    data = ("email,name\nann@example.com,Ann\n"
            f"huge@example.com,{'x' * 1_000_000}\n"
            f'"quoted@example.com","{"y" * 70_000}\nstill going"\n'
            "bob@example.org,Bob\n")
    report = run(any_db, list_id, data)
    assert reasons(report) == {3: "row is longer than 64 KB", 4: "row is longer than 64 KB"}
    assert report.rows == 4
    assert set(members(any_db, list_id)) == {"ann@example.com", "bob@example.org"}


def test_runaway_quote_is_rejected_without_crashing(any_db: Database) -> None:
    list_id = make_list(any_db)
    body = "".join(f"user{i}@example.com,User {i}\n" for i in range(5000))
    report = run(any_db, list_id, f'email,name\n"ann@example.com,Ann\n{body}')
    assert reasons(report)[2] == "line 2188: row is longer than 64 KB (an unclosed quote?)"
    # Lines 3-2188 went into the rejected row; the parser is back in step after it.
    assert (report.rejected_count, report.created) == (1, 5000 - 2186)


def test_attribute_limits(any_db: Database) -> None:
    list_id = make_list(any_db)
    report = run(any_db, list_id, f"email,note\na@example.com,{'v' * 1001}\nb@example.com,ok\n")
    assert list(reasons(report)) == [2] and "longer than 1000" in reasons(report)[2]
    wide = ",".join(f"c{i}" for i in range(51))
    with pytest.raises(InputError, match="at most 50"):
        run(any_db, list_id, f"email,{wide}\n")
    with pytest.raises(InputError, match="longer than 64"):
        run(any_db, list_id, f"email,{'k' * 65}\n")


def test_progress_sees_every_row(any_db: Database) -> None:
    list_id = make_list(any_db)
    seen: list[int] = []
    body = "".join(f"u{i}@example.com\n" for i in range(25)) + "bad\n"
    run(any_db, list_id, "email\n" + body, batch_size=10, progress=seen.append)
    assert sum(seen) == 26 and len(seen) >= 3


class LineOnlyStream(io.BytesIO):
    """Fails the test if the importer ever asks for the whole file at once."""

    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("read() called: the import must stream")

    def readline(self, size: int | None = -1) -> bytes:
        assert size is not None and 0 < size <= 64 * 1024 + 1
        return super().readline(size)


def test_import_streams_line_by_line(any_db: Database) -> None:
    list_id = make_list(any_db)
    report = import_csv(any_db, list_id, LineOnlyStream(GOOD.encode()))
    assert report.created == 2


def exported_text(db: Database, list_id: int) -> str:
    out = io.StringIO()
    export_csv(db, list_id, out)
    return out.getvalue()


def exported(db: Database, list_id: int, **options: Any) -> tuple[int, list[dict[str, str]]]:
    out = io.StringIO()
    count = export_csv(db, list_id, out, **options)
    return count, list(csv.DictReader(io.StringIO(out.getvalue())))


def test_export_round_trip(any_db: Database) -> None:
    source, target = make_list(any_db, "source"), make_list(any_db, "target")
    run(any_db, source, "email,name,city\nann@example.com,Ann,Oslo\nbob@example.org,-Bob,\n")
    run(any_db, source, "email\npen@example.com\n", status=Status.PENDING)
    run(any_db, source, "email\ngone@example.com\n")
    set_status(any_db, "gone@example.com", source, Status.UNSUBSCRIBED)
    out = io.StringIO()
    assert export_csv(any_db, source, out) == 4
    report = run(any_db, target, out.getvalue())
    # Someone who left the source list is not signed up for the target by its export.
    assert list(reasons(report)) == [5] and "unsubscribed" in reasons(report)[5]
    assert members(any_db, target) == {
        "ann@example.com": (Status.ACTIVE, "Ann", {"city": "Oslo"}),
        "bob@example.org": (Status.ACTIVE, "-Bob", {}),
        "pen@example.com": (Status.PENDING, "", {}),
    }


def test_export_columns_and_status_filter(any_db: Database) -> None:
    list_id = make_list(any_db)
    run(any_db, list_id, GOOD)
    run(any_db, list_id, "email\npen@example.com\n", status=Status.PENDING)
    count, rows = exported(any_db, list_id, status=Status.ACTIVE)
    assert count == 2 and [row["email"] for row in rows] == ["ann@example.com", "bob@example.org"]
    assert list(rows[0]) == ["email", "name", "status", "consent_source", "consent_at",
                             "confirmed_at", "unsubscribed_at", "created_at", "attributes",
                             "timezone", "frequency", "topics"]
    assert (rows[0]["status"], rows[0]["consent_source"]) == ("active", "import")
    assert json.loads(rows[0]["attributes"]) == {"city": "Oslo"}
    assert "T" in rows[0]["consent_at"] and rows[0]["unsubscribed_at"] == ""


def test_a_timezone_column_sets_each_readers_zone_and_exports_back(any_db: Database) -> None:
    list_id = make_list(any_db)
    report = run(any_db, list_id, "email,timezone\nann@example.com,Asia/Tokyo\n"
                                  "bob@example.org,\ncy@example.net,Mars/Olympus\n")
    assert (report.created, [r.line for r in report.rejected]) == (2, [4])
    assert "not an IANA time zone" in report.rejected[0].reason
    run(any_db, list_id, "email,tz\nbob@example.org,America/New_York\n")
    _, rows = exported(any_db, list_id)
    assert {r["email"]: r["timezone"] for r in rows} == {
        "ann@example.com": "Asia/Tokyo", "bob@example.org": "America/New_York"}
    # A file without the column, or with an empty cell, keeps the zone a reader has.
    run(any_db, list_id, "email,timezone\nann@example.com,\n")
    _, rows = exported(any_db, list_id)
    assert {r["email"]: r["timezone"] for r in rows}["ann@example.com"] == "Asia/Tokyo"


def test_frequency_and_topics_columns_set_each_readers_choices_and_export_back(
        any_db: Database) -> None:
    list_id = make_list(any_db)
    with any_db.session() as session:
        session.get(MailingList, list_id).rules = {"tags": ["markets", "science"]}  # type: ignore[union-attr]
    report = run(any_db, list_id,
                 "email,frequency,topics\n"
                 "ann@example.com,weekly:friday,science\n"
                 "bob@example.org,weekdays,markets; science\n"
                 "cy@example.net,,\n"
                 "dee@example.net,hourly,\n"
                 "eve@example.net,daily,gossip\n"
                 "fay@example.net,weekly:funday,\n")
    assert (report.created, [r.line for r in report.rejected]) == (3, [5, 6, 7])
    assert "not a frequency" in reasons(report)[5]
    assert "no topic 'gossip'" in reasons(report)[6] and "markets" in reasons(report)[6]
    assert "not a day of the week" in reasons(report)[7]
    _, rows = exported(any_db, list_id)
    assert {r["email"]: (r["frequency"], r["topics"]) for r in rows} == {
        "ann@example.com": ("weekly:friday", "science"),
        "bob@example.org": ("weekdays", ""),  # both topics: the whole edition
        "cy@example.net": ("daily", "")}
    # Empty cells keep what a reader chose; a new value updates them; an export imports back.
    again = run(any_db, list_id, "email,frequency,topics\nann@example.com,,\n"
                                 "cy@example.net,weekly,markets\n")
    assert (again.updated, again.unchanged) == (1, 1)
    text = exported_text(any_db, list_id)
    other = make_list(any_db, "other")
    with any_db.session() as session:
        session.get(MailingList, other).rules = {"tags": ["markets", "science"]}  # type: ignore[union-attr]
    assert run(any_db, other, text).created == 3
    _, rows = exported(any_db, other)
    assert {r["email"]: (r["frequency"], r["topics"]) for r in rows} == {
        "ann@example.com": ("weekly:friday", "science"),
        "bob@example.org": ("weekdays", ""), "cy@example.net": ("weekly:monday", "markets")}


def test_export_neutralizes_formulas(any_db: Database) -> None:
    list_id = make_list(any_db)
    names = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)"]
    data = "email,name,note\n" + "".join(
        f'f{i}@example.com,"{name.replace(chr(34), chr(34) * 2)}",{name[:2]}\n'
        for i, name in enumerate(names))
    run(any_db, list_id, data)
    _, rows = exported(any_db, list_id)
    assert [row["name"] for row in rows] == ["'" + name for name in names]
    # ... and the export imports back to the very same names.
    copy = make_list(any_db, "copy")
    run(any_db, copy, exported_text(any_db, list_id))
    assert sorted(row[1] for row in members(any_db, copy).values()) == sorted(names)
    assert all(not row[column].startswith(("=", "+", "-", "@", "\t", "\r"))
               for row in rows for column in row)


@pytest.mark.parametrize(("cell", "written"), [
    ("\t=1", "'\t=1"), ("\r+1", "'\r+1"), ("'=1", "''=1"), ("'quoted'", "'quoted'"),
    ("plain", "plain"), ("", ""),
])
def test_cells_that_spreadsheets_would_run_get_a_quote(cell: str, written: str) -> None:
    assert _neutralized(cell) == written


def test_export_and_erase_one_subscriber(any_db: Database) -> None:
    daily, weekly = make_list(any_db, "daily"), make_list(any_db, "weekly")
    run(any_db, daily, GOOD)
    run(any_db, weekly, "email,team\nAnn@example.com,Red\n", status=Status.PENDING)
    record = export_subscriber(any_db, "ANN@example.com")
    assert json.loads(json.dumps(record)) == record
    assert (record["email"], record["name"]) == ("ann@example.com", "Ann")
    assert record["attributes"] == {"city": "Oslo", "team": "Red"}
    assert [(s["list"]["slug"], s["status"]) for s in record["subscriptions"]] == [
        ("daily", "active"), ("weekly", "pending")]
    assert record["subscriptions"][0]["consent_source"] == "import"
    assert "confirm_nonce" not in record["subscriptions"][0]

    assert erase_subscriber(any_db, "ann@EXAMPLE.com") is True
    assert set(members(any_db, daily)) == {"bob@example.org"} and members(any_db, weekly) == {}
    with pytest.raises(InputError, match="no subscriber"):
        export_subscriber(any_db, "ann@example.com")
    assert erase_subscriber(any_db, "ann@example.com") is False
