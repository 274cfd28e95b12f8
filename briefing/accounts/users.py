"""Admin users: add, list, find, change role, remove."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from briefing.accounts.passwords import hash_password
from briefing.core.db import Database
from briefing.core.errors import InputError, NotFound
from briefing.core.models import AdminRole, AdminUser
from briefing.mail.addresses import parse_address


class UserNotFound(NotFound):
    def __init__(self, key: str | int) -> None:
        super().__init__(f"no admin user {key}")


def add_user(db: Database, email: str, role: AdminRole, password: str) -> AdminUser:
    address = parse_address(email)
    password_hash = hash_password(password)  # before the transaction: it takes a while
    with db.session() as session:
        if session.scalar(select(AdminUser.id).where(AdminUser.email_key == address.key)):
            raise InputError(f"an admin user {address.email} already exists")
        user = AdminUser(email=address.email, email_key=address.key, role=role,
                         password_hash=password_hash)
        session.add(user)
    return user


def all_users(db: Database) -> list[AdminUser]:
    with db.session() as session:
        return list(session.scalars(select(AdminUser).order_by(AdminUser.email_key)))


def find_user(db: Database, key: str | int) -> AdminUser:
    """By id, or by email address (any case)."""
    with db.session() as session:
        if isinstance(key, int):
            user = session.get(AdminUser, key) if 0 < key < 2**31 else None
        else:
            user = session.scalar(select(AdminUser).where(
                AdminUser.email_key == parse_address(key).key))
    if user is None:
        raise UserNotFound(key)
    return user


def change_role(db: Database, user_id: int, role: AdminRole) -> AdminUser:
    with db.session() as session:
        user = session.get(AdminUser, user_id)
        if user is None:
            raise UserNotFound(user_id)
        if user.role == AdminRole.ADMIN and role != AdminRole.ADMIN:
            _keep_one_admin(session, user.id)
        user.role = role
    return user


def set_password(db: Database, user_id: int, password: str) -> None:
    password_hash = hash_password(password)
    with db.session() as session:
        user = session.get(AdminUser, user_id)
        if user is None:
            raise UserNotFound(user_id)
        user.password_hash = password_hash


def remove_user(db: Database, user_id: int) -> None:
    """Their sessions and tokens go with them (ON DELETE CASCADE, and explicitly below)."""
    from briefing.accounts.sessions import end_all_sessions
    from briefing.accounts.tokens import revoke_all

    with db.session() as session:
        user = session.get(AdminUser, user_id)
        if user is None:
            raise UserNotFound(user_id)
        if user.role == AdminRole.ADMIN:
            _keep_one_admin(session, user.id)
    end_all_sessions(db, user_id)
    revoke_all(db, user_id)
    with db.session() as session:
        user = session.get(AdminUser, user_id)
        if user is not None:
            session.delete(user)


def _keep_one_admin(session: Session, leaving_id: int) -> None:
    others = session.scalar(select(func.count()).where(
        AdminUser.role == AdminRole.ADMIN, AdminUser.id != leaving_id)) or 0
    if not others:
        raise InputError("this is the last admin: make someone else an admin first")
