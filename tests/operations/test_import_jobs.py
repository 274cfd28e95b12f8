"""CSV imports run as background jobs: the file waits in the database, a job runs once even
if handed out twice, and a job whose worker died is taken over once its heartbeat is stale."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from briefing.core.clock import utcnow
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import ImportChunk, ImportJob, ImportStatus, Subscription
from briefing.subscribers import import_jobs
from briefing.subscribers.lists import ListChanges, create_list

STUCK = timedelta(minutes=10)


@pytest.fixture
def list_id(any_db: Database) -> int:
    return create_list(any_db, "daily", ListChanges(name="Daily",
                                                    from_address="news@example.org")).id


def csv_file(rows: int) -> io.BytesIO:
    lines = ["email,name"] + [f"r{n}@example.com,R {n}" for n in range(rows)]
    return io.BytesIO(("\n".join(lines) + "\n").encode())


def subscriptions(db: Database) -> int:
    with db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Subscription)) or 0)


def test_a_job_imports_once_however_often_it_is_handed_out(any_db: Database,
                                                           list_id: int) -> None:
    job_id = import_jobs.start_import(any_db, list_id, csv_file(2500), filename="big.csv")
    job = import_jobs.get_job(any_db, job_id)
    assert job is not None and job.rows_expected == 2500 and job.status == ImportStatus.QUEUED
    assert import_jobs.run_import(any_db, job_id, STUCK) == "done"
    assert import_jobs.run_import(any_db, job_id, STUCK) == "not claimed"  # a redelivery
    job = import_jobs.get_job(any_db, job_id)
    assert job is not None and job.rows_done == 2500 and job.report is not None
    assert job.report["created"] == 2500 and subscriptions(any_db) == 2500
    with any_db.session() as session:  # the stored file goes once it is imported
        assert session.scalar(select(func.count()).select_from(ImportChunk)) == 0


def test_a_job_left_running_by_a_dead_worker_is_taken_over_by_the_sweep(
        any_db: Database, list_id: int) -> None:
    job_id = import_jobs.start_import(any_db, list_id, csv_file(10))
    with any_db.session() as session:  # as a worker killed mid-import leaves it
        job = session.get(ImportJob, job_id)
        assert job is not None
        job.status, job.heartbeat_at = ImportStatus.RUNNING, utcnow()
    assert import_jobs.unfinished_jobs(any_db, STUCK) == []
    assert import_jobs.run_import(any_db, job_id, STUCK) == "not claimed"  # still its own
    with time_machine.travel(utcnow() + STUCK + timedelta(seconds=1)):
        assert import_jobs.unfinished_jobs(any_db, STUCK) == [job_id]
        assert import_jobs.run_import(any_db, job_id, STUCK) == "done"
    assert subscriptions(any_db) == 10


def test_a_file_that_cannot_be_a_subscriber_csv_is_refused_storing_nothing(
        any_db: Database, list_id: int) -> None:
    for data, message in ((b"", "empty"), (b"\x00\x01PK\x03\x04binary", "not a CSV text"),
                          (b"name,phone\nAnn,123\n", "exactly one 'email' column")):
        with pytest.raises(InputError, match=message):
            import_jobs.start_import(any_db, list_id, io.BytesIO(data))
    with any_db.session() as session:
        assert session.scalar(select(func.count()).select_from(ImportJob)) == 0


def test_a_file_with_no_usable_rows_after_the_header_fails_with_the_reason(
        any_db: Database, list_id: int) -> None:
    job_id = import_jobs.start_import(any_db, list_id, io.BytesIO(b"email\nnot-an-address\n"))
    assert import_jobs.run_import(any_db, job_id, STUCK) == "done"
    job = import_jobs.get_job(any_db, job_id)
    assert job is not None and job.report is not None
    assert job.report["rejected_count"] == 1 and job.report["rejected"][0]["line"] == 2
