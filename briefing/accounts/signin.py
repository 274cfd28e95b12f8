"""Signing in: the password check behind the attempt limits, and one answer for every
wrong guess (an unknown address and a wrong password look alike)."""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import select

from briefing.accounts import attempts
from briefing.accounts.passwords import decoy_hash, verify_password
from briefing.accounts.sessions import start_session
from briefing.core.clock import utcnow
from briefing.core.db import Database
from briefing.core.errors import BriefingError, InputError
from briefing.core.models import AdminUser
from briefing.mail.addresses import parse_address

WRONG = "The email or the password is wrong."


class SignInRefused(BriefingError):
    """Shown to the person as it is: the message never says which part was wrong."""


class SignInBlocked(SignInRefused):
    def __init__(self, minutes: int) -> None:
        super().__init__(f"Too many failed sign-ins for this account or from your address. "
                         f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.")


def _email_key(email: str) -> str:
    try:
        return parse_address(email).key
    except InputError:
        return email.strip().casefold()[:320]


def sign_in(db: Database, email: str, password: str, address: str,
            lifetime: timedelta) -> tuple[AdminUser, str]:
    """The user and a new session token; raises SignInRefused."""
    key = _email_key(email)
    keys = [attempts.account_key(key), attempts.address_key(address)]
    until = attempts.blocked_until(db, keys)
    if until is not None:
        raise SignInBlocked(max(1, math.ceil((until - utcnow()).total_seconds() / 60)))
    with db.session() as session:
        user = session.scalar(select(AdminUser).where(AdminUser.email_key == key))
    if not verify_password(user.password_hash if user else decoy_hash(), password) or not user:
        attempts.record_failure(db, keys)
        raise SignInRefused(WRONG)
    attempts.clear(db, keys[0])
    return user, start_session(db, user.id, lifetime)
