"""Sign-in attempt limits, per account and per client address, kept in the database so that
every API process (and every machine) counts the same failures.

After ACCOUNT_LIMIT failures for one account, or ADDRESS_LIMIT from one address, within
WINDOW, further attempts are refused without checking the password until BLOCK has passed.
The account counter is cleared by a successful sign-in; the address counter is not, so one
valid account cannot be used to reset the count of an address guessing at others."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from briefing.core.clock import utcnow
from briefing.core.db import Database
from briefing.core.models import SignInFailure

WINDOW = timedelta(minutes=15)
BLOCK = timedelta(minutes=15)
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20


def account_key(email_key: str) -> str:
    return f"account:{email_key[:320]}"


def address_key(address: str) -> str:
    return f"address:{address[:64]}"


def _limit(key: str) -> int:
    return ACCOUNT_LIMIT if key.startswith("account:") else ADDRESS_LIMIT


def blocked_until(db: Database, keys: list[str]) -> datetime | None:
    """The latest end of a block on any of `keys`, while one lasts."""
    now = utcnow()
    with db.session() as session:
        ends = [row for row in session.scalars(select(SignInFailure.blocked_until).where(
            SignInFailure.key.in_(keys))) if row is not None and row > now]
    return max(ends) if ends else None


def record_failure(db: Database, keys: list[str]) -> None:
    for key in keys:
        try:
            with db.session() as session:
                _count(session, key, utcnow())
        except IntegrityError:  # a concurrent first failure made the row: count on it
            with db.session() as session:
                _count(session, key, utcnow())


def _count(session: Session, key: str, now: datetime) -> None:
    row = session.scalars(select(SignInFailure).where(SignInFailure.key == key)
                          .with_for_update()).one_or_none()
    if row is None:
        row = SignInFailure(key=key, failures=0, window_start=now)
        session.add(row)
    elif row.window_start <= now - WINDOW:
        row.failures, row.window_start = 0, now
    row.failures += 1
    if row.failures >= _limit(key):
        row.blocked_until = now + BLOCK
        row.failures, row.window_start = 0, now


def clear(db: Database, key: str) -> None:
    with db.session() as session:
        row = session.get(SignInFailure, key)
        if row is not None:
            session.delete(row)
