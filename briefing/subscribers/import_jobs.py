"""CSV imports started from the admin web app, run as background work.

The upload is stored in the database in pieces (a worker on another machine reads it from
there), the job row carries the progress and, at the end, the report; a page reload or
another browser sees the same. Running a job twice is harmless: the import is idempotent,
and a job is claimed with a conditional UPDATE, so only a job left `running` by a dead
worker (its heartbeat gone stale) is taken over."""

from __future__ import annotations

import io
import tempfile
from dataclasses import asdict
from datetime import timedelta
from typing import IO, Any, BinaryIO, cast

from sqlalchemy import delete, or_, select, update

from briefing.core.clock import utcnow
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import (
    ImportChunk,
    ImportJob,
    ImportStatus,
    MailingList,
    SubscriptionStatus,
)
from briefing.subscribers.csv_reader import ImportReport, LineReader, read_header, records
from briefing.subscribers.transfer import import_csv

CHUNK_BYTES = 1024 * 1024
SNIFF_BYTES = 8192
REPORTED_REJECTIONS = 1000  # shown on the page; all are counted
PROGRESS_STEPS = 50         # about this many progress updates per import


def start_import(db: Database, list_id: int, stream: BinaryIO, *, filename: str = "",
                 as_pending: bool = False, user_id: int | None = None) -> int:
    """Store the file and a queued job in one transaction; returns the job's id.
    Raises InputError, storing nothing, for a file that is not a usable CSV."""
    first = stream.read(CHUNK_BYTES)
    _check_start(first)
    with db.session() as session:
        if session.get(MailingList, list_id) is None:
            raise InputError(f"no list with id {list_id}")
        job = ImportJob(list_id=list_id, user_id=user_id, filename=filename[:200],
                        as_pending=as_pending)
        session.add(job)
        session.flush()
        size, lines, seq, chunk, last = 0, 0, 0, first, first
        while chunk:
            session.add(ImportChunk(job_id=job.id, seq=seq, data=chunk))
            size, lines, seq, last = size + len(chunk), lines + chunk.count(b"\n"), seq + 1, chunk
            session.flush()  # one piece in memory at a time
            chunk = stream.read(CHUNK_BYTES)
        lines += 0 if last.endswith(b"\n") else 1
        # Lines less the header: a close estimate of the rows (quoted line breaks aside).
        job.size_bytes, job.rows_expected = size, max(0, lines - 1)
        return job.id


def _check_start(first: bytes) -> None:
    if not first.strip():
        raise InputError("the file is empty: the first row must name the columns, one 'email'")
    if b"\x00" in first[:SNIFF_BYTES]:
        raise InputError("this is not a CSV text file (it holds binary data); export the "
                         "sheet as CSV (UTF-8) and choose that file")
    # The header is checked now, so a wrong file is refused before anything is queued.
    head = first.split(b"\n", 1)[0] + b"\n"
    read_header(records(LineReader(io.BytesIO(head))))


def _claim(db: Database, job_id: int, stuck_after: timedelta) -> bool:
    now = utcnow()
    with db.session() as session:
        claimed = session.execute(
            update(ImportJob).where(ImportJob.id == job_id, or_(
                ImportJob.status == ImportStatus.QUEUED,
                (ImportJob.status == ImportStatus.RUNNING)
                & (ImportJob.heartbeat_at < now - stuck_after)))
            .values(status=ImportStatus.RUNNING, started_at=now, heartbeat_at=now,
                    rows_done=0).returning(ImportJob.id)).all()
    return bool(claimed)


def run_import(db: Database, job_id: int, stuck_after: timedelta) -> str:
    """Import the job's file; what became of it ("done", "failed", or "not claimed")."""
    if not _claim(db, job_id, stuck_after):
        return "not claimed"
    with db.session() as session:
        job = session.get(ImportJob, job_id)
        assert job is not None
        list_id, pending, expected = job.list_id, job.as_pending, job.rows_expected
    with _file_of(db, job_id) as stream:
        try:
            report = import_csv(
                db, list_id, cast(BinaryIO, stream),
                status=SubscriptionStatus.PENDING if pending else SubscriptionStatus.ACTIVE,
                progress=lambda rows: _progress(db, job_id, rows),
                batch_size=min(1000, max(100, expected // PROGRESS_STEPS)))
        except InputError as exc:
            _finish(db, job_id, ImportStatus.FAILED, error=str(exc))
            return "failed"
    _finish(db, job_id, ImportStatus.DONE, report=_report(report))
    return "done"


def release(db: Database, job_id: int) -> None:
    """Hand a running job back to the queue (its worker hit a transient error)."""
    with db.session() as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id,
                                                ImportJob.status == ImportStatus.RUNNING)
                        .values(status=ImportStatus.QUEUED))


def _file_of(db: Database, job_id: int) -> IO[bytes]:
    """The stored pieces, in order, in a temporary file (memory stays flat)."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK_BYTES)  # noqa: SIM115 (returned)
    with db.engine.connect() as conn:
        seqs = list(conn.scalars(select(ImportChunk.seq).where(ImportChunk.job_id == job_id)
                                 .order_by(ImportChunk.seq)))
        for seq in seqs:  # one piece at a time: never the whole file in memory
            spool.write(conn.scalar(select(ImportChunk.data).where(
                ImportChunk.job_id == job_id, ImportChunk.seq == seq)) or b"")
    spool.seek(0)
    return cast(IO[bytes], spool)


def _progress(db: Database, job_id: int, rows: int) -> None:
    with db.session() as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
            rows_done=ImportJob.rows_done + rows, heartbeat_at=utcnow()))


def _report(report: ImportReport) -> dict[str, Any]:
    shown = asdict(report)
    shown["rejected"] = shown["rejected"][:REPORTED_REJECTIONS]
    return shown


def _finish(db: Database, job_id: int, status: ImportStatus, *, error: str | None = None,
            report: dict[str, Any] | None = None) -> None:
    with db.session() as session:
        session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
            status=status, error=error, report=report, finished_at=utcnow()))
        session.execute(delete(ImportChunk).where(ImportChunk.job_id == job_id))


def get_job(db: Database, job_id: int) -> ImportJob | None:
    with db.session() as session:
        return session.get(ImportJob, job_id) if 0 < job_id < 2**31 else None


def recent_jobs(db: Database, list_id: int, limit: int = 5) -> list[ImportJob]:
    with db.session() as session:
        return list(session.scalars(select(ImportJob).where(ImportJob.list_id == list_id)
                                    .order_by(ImportJob.id.desc()).limit(limit)))


def unfinished_jobs(db: Database, stuck_after: timedelta) -> list[int]:
    """Jobs whose message was lost or whose worker died: for the sweep to hand out again."""
    since = utcnow() - stuck_after
    with db.session() as session:
        return list(session.scalars(select(ImportJob.id).where(or_(
            (ImportJob.status == ImportStatus.QUEUED) & (ImportJob.created_at < since),
            (ImportJob.status == ImportStatus.RUNNING) & (ImportJob.heartbeat_at < since)))))
