"""Browser sessions: a random token in the (signed) cookie, its hash in the database.

A session ends when it expires or when its user signs out; either way the row is gone and
the cookie, even a copy of it kept by someone else, opens nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from briefing.accounts.opaque import new_token, token_hash
from briefing.core.clock import utcnow
from briefing.core.db import Database
from briefing.core.models import AdminSession, AdminUser


def start_session(db: Database, user_id: int, lifetime: timedelta) -> str:
    token = new_token()
    now = utcnow()
    with db.session() as session:
        session.execute(delete(AdminSession).where(AdminSession.expires_at <= now))
        session.add(AdminSession(token_hash=token_hash(token), user_id=user_id,
                                 created_at=now, expires_at=now + lifetime))
    return token


def session_user(db: Database, token: str) -> AdminUser | None:
    """The signed-in user, or None for an unknown, ended or expired session."""
    with db.session() as session:
        found = session.execute(
            select(AdminUser, AdminSession.expires_at)
            .join(AdminSession, AdminSession.user_id == AdminUser.id)
            .where(AdminSession.token_hash == token_hash(token))).one_or_none()
    if found is None or found.expires_at <= utcnow():
        return None
    user: AdminUser = found[0]
    return user


def end_session(db: Database, token: str) -> None:
    with db.session() as session:
        session.execute(delete(AdminSession).where(AdminSession.token_hash == token_hash(token)))


def end_all_sessions(db: Database, user_id: int) -> None:
    with db.session() as session:
        session.execute(delete(AdminSession).where(AdminSession.user_id == user_id))
