"""Reading subscriber CSV files: physical lines, records, the header and one row at a time.

The file is streamed: one line (at most 64 KB) and one record are held at a time, so a huge
file or a 1 MB line costs no memory.  Line numbers are the ones an editor shows (header = 1).

Encoding: UTF-8, with or without a BOM.  A line that is not valid UTF-8 is rejected with its
line number and the file's other lines are imported.  We do not fall back to cp1252/Latin-1:
a whole-file guess is impossible while streaming (earlier batches are already written), and a
per-line guess stores mojibake silently whenever the guess is wrong (cp1251, Shift-JIS ...).
The report tells the admin which lines to fix; re-importing the fixed file is idempotent.

`import_csv` (in `briefing.subscribers.transfer`) writes what this module parses.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from briefing.core.errors import InputError
from briefing.core.models import SubscriptionStatus
from briefing.core.zones import checked_zone
from briefing.mail.addresses import parse_address, person_name
from briefing.subscribers.frequency import Cadence, checked_cadence

MAX_LINE_BYTES = 64 * 1024       # also the bound on one record spanning several lines
MAX_ATTRIBUTES = 50
MAX_KEY_CHARS = 64
MAX_VALUE_CHARS = 1000
TOO_LONG = f"row is longer than {MAX_LINE_BYTES // 1024} KB"
MAX_REJECTED = 10_000            # rejections stored in the report; all of them are counted

EMAIL_HEADERS = frozenset({"email", "e-mail", "email address", "e-mail address"})
NAME_HEADERS = frozenset({"name"})
# The reader's own IANA time zone, for lists sent at each reader's local time.
TIMEZONE_HEADERS = frozenset({"timezone", "time zone", "tz"})
FREQUENCY_HEADERS = frozenset({"frequency", "how often"})
TOPICS_HEADERS = frozenset({"topics", "topic"})
# Columns that export_csv writes: read back (status, attributes) or ignored, never attributes.
EXPORT_HEADERS = frozenset({"status", "consent_source", "consent_at", "confirmed_at",
                            "unsubscribed_at", "created_at", "attributes"})
# A leading quote is how export_csv neutralizes formulas; cells starting with these get one.
FORMULA_START = frozenset("=+-@\t\r")
STOPPED = frozenset({SubscriptionStatus.UNSUBSCRIBED, SubscriptionStatus.BOUNCED,
                     SubscriptionStatus.COMPLAINED})


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    """Every non-blank data row lands in exactly one of created/updated/unchanged/rejected."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0          # repeats of an address earlier in the file (also unchanged)
    rejected_count: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REJECTED:
            self.rejected.append(RejectedRow(line, reason))


class LineReader:
    """Physical lines of a binary stream as text for csv.reader, noting the unusable ones."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.line_no = 0
        self.record_bytes = 0                 # reset by the consumer after each record
        self.problems: dict[int, str] = {}    # line number → reason, for the current record

    def __iter__(self) -> Iterator[str]:
        while raw := self.stream.readline(MAX_LINE_BYTES + 1):
            self.line_no += 1
            if self.line_no == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8):]
            if len(raw) > MAX_LINE_BYTES:
                yield self._skip_long_line(raw)
            elif self.record_bytes + len(raw) > MAX_LINE_BYTES:
                # Only a quoted field carries a record across lines: close it and end the
                # record here, so one unclosed quote cannot swallow the rest of the file.
                self.problems[self.line_no] = TOO_LONG + " (an unclosed quote?)"
                yield '"\n'
            else:
                self.record_bytes += len(raw)
                yield self._decode(raw)

    def _skip_long_line(self, raw: bytes) -> str:
        quotes, size = raw.count(b'"'), len(raw)
        while not raw.endswith(b"\n") and (raw := self.stream.readline(MAX_LINE_BYTES)):
            quotes, size = quotes + raw.count(b'"'), size + len(raw)
        self.problems[self.line_no] = TOO_LONG
        self.record_bytes += size
        # Stand-in for the line that leaves the parser inside or outside quotes as the real
        # line would (quote parity), so the next line is read in step.
        return '"\n' if quotes % 2 else "\n"

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            self.problems[self.line_no] = (
                f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at position {exc.start + 1}); "
                "save the file as UTF-8 and import it again")
            # Decoded anyway so quotes and commas keep the parser in step.
            return raw.decode("utf-8", "replace")


@dataclass(frozen=True)
class Record:
    line: int                    # where the record starts
    fields: list[str]
    problem: str | None = None

    @property
    def blank(self) -> bool:
        return not any(cell.strip() for cell in self.fields)


def records(lines: LineReader) -> Iterator[Record]:
    reader = csv.reader(lines)
    last = 0
    while True:
        problem = None
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            fields, problem = [], f"not valid CSV: {exc}"
        first, last = last + 1, lines.line_no
        lines.record_bytes = 0
        if lines.problems:
            where, problem = min(lines.problems.items())
            problem = f"line {where}: {problem}" if where != first else problem
            lines.problems = {}
        yield Record(first, fields, problem)


@dataclass(frozen=True)
class Columns:
    email: int
    name: int | None
    status: int | None
    attributes: int | None
    extra: tuple[tuple[int, str], ...]     # (index, attribute key)
    timezone: int | None = None
    frequency: int | None = None
    topics: int | None = None


def read_header(source: Iterator[Record]) -> Columns:
    for record in source:
        if record.problem:
            raise InputError(f"line {record.line}: unusable header row: {record.problem}")
        if not record.blank:
            return parse_header(record.fields)
    raise InputError("the file is empty: the first row must name the columns, one 'email'")


def parse_header(header: list[str]) -> Columns:
    names = [cell.strip() for cell in header]
    folded = [name.casefold() for name in names]
    repeated = sorted({name for name in folded if name and folded.count(name) > 1})
    if repeated:
        raise InputError(f"the header names a column more than once: {', '.join(repeated)}")
    emails = [i for i, name in enumerate(folded) if name in EMAIL_HEADERS]
    if len(emails) != 1:
        found = ", ".join(repr(name) for name in names[:10]) or "nothing"
        raise InputError("the header must have exactly one 'email' column "
                         f"(also 'e-mail' or 'email address'); found {found}")
    extra = tuple((i, names[i]) for i, name in enumerate(folded)
                  if name and i != emails[0]
                  and name not in NAME_HEADERS | EXPORT_HEADERS | TIMEZONE_HEADERS
                  | FREQUENCY_HEADERS | TOPICS_HEADERS)
    _check_extra(extra)
    return Columns(email=emails[0], name=_index(folded, NAME_HEADERS),
                   status=_index(folded, {"status"}), attributes=_index(folded, {"attributes"}),
                   extra=extra, timezone=_index(folded, TIMEZONE_HEADERS),
                   frequency=_index(folded, FREQUENCY_HEADERS),
                   topics=_index(folded, TOPICS_HEADERS))


def _index(folded: list[str], wanted: set[str] | frozenset[str]) -> int | None:
    return next((i for i, name in enumerate(folded) if name in wanted), None)


def _check_extra(extra: tuple[tuple[int, str], ...]) -> None:
    if len(extra) > MAX_ATTRIBUTES:
        raise InputError(f"the file has {len(extra)} extra columns; at most {MAX_ATTRIBUTES}")
    for _, key in extra:
        if len(key) > MAX_KEY_CHARS:
            raise InputError(f"column name {key[:80]!r} is longer than {MAX_KEY_CHARS} chars")


@dataclass(frozen=True)
class Row:
    line: int
    email: str
    key: str
    name: str
    attributes: dict[str, str]
    status: SubscriptionStatus
    timezone: str | None = None
    cadence: Cadence | None = None         # None: the file does not say (keep / default)
    topics: tuple[str, ...] | None = None  # likewise; checked against the list on import
    topics_key: str | None = None          # the checked choice (see subscribers.topics)


def parse_row(record: Record, columns: Columns, status: SubscriptionStatus) -> Row:
    """One data row, validated; InputError says what is wrong with it."""
    cells = [_unneutralize(cell).strip() for cell in record.fields]

    def cell(index: int | None) -> str:
        return cells[index] if index is not None and index < len(cells) else ""

    raw = cell(columns.email)
    if not raw:
        raise InputError("email is empty")
    if "@" not in raw:  # cheap: email-validator's exception path is the slow one
        raise InputError(f"{raw[:80]!r} is not a valid email address")
    address = parse_address(raw)
    attributes = _json_attributes(cell(columns.attributes))
    attributes.update((key, cell(i)) for i, key in columns.extra if cell(i))
    _check_attributes(attributes)
    zone, often, topics = cell(columns.timezone), cell(columns.frequency), cell(columns.topics)
    return Row(record.line, address.email, address.key, person_name(cell(columns.name)),
               attributes, _row_status(cell(columns.status), status),
               checked_zone(zone) if zone else None,
               checked_cadence(often) if often else None,
               _topic_cells(topics) if topics else None)


def _topic_cells(text: str) -> tuple[str, ...]:
    """Topics in one cell, separated by ";", "|" or ","; "*" or "all": every topic."""
    if text.strip().casefold() in ("*", "all", "everything"):
        return ()
    return tuple(part.strip() for part in re.split(r"[;|,]", text) if part.strip())


def _unneutralize(cell: str) -> str:
    # Undo export_csv's anti-formula quote, so an export imports back unchanged.
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_START else cell


def _json_attributes(text: str) -> dict[str, str]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InputError("the attributes column is not a JSON object")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def _check_attributes(attributes: dict[str, str]) -> None:
    if len(attributes) > MAX_ATTRIBUTES:
        raise InputError(f"more than {MAX_ATTRIBUTES} attributes")
    for key, value in attributes.items():
        if len(key) > MAX_KEY_CHARS or not key.strip():
            raise InputError(f"attribute name {key[:80]!r} is empty or too long")
        if len(value) > MAX_VALUE_CHARS:
            raise InputError(f"{key!r} is longer than {MAX_VALUE_CHARS} characters")


def _row_status(text: str, wanted: SubscriptionStatus) -> SubscriptionStatus:
    """A status column (as export_csv writes it) can only lower what the import asks for."""
    folded = text.casefold()
    if not folded or folded == SubscriptionStatus.ACTIVE:
        return wanted
    if folded == SubscriptionStatus.PENDING:
        return SubscriptionStatus.PENDING
    if folded in STOPPED:
        raise InputError(f"marked {folded!r} in the file; not imported (needs a fresh opt-in)")
    raise InputError(f"unknown status {text[:40]!r}")
