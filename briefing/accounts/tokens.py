"""Personal API tokens: named, shown once, stored as a hash, revocable.

A token acts with its user's role (a viewer's token can only read). A token looks like
`brf_<random>` so that it is recognisable in a leaked file or a secret scanner."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from briefing.accounts.opaque import new_token, token_hash
from briefing.core.clock import utcnow
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import AdminRole, AdminUser, ApiToken

PREFIX = "brf_"
MAX_NAME = 100


@dataclass(frozen=True)
class IssuedToken:
    id: int
    name: str
    token: str  # the only time it is ever seen


@dataclass(frozen=True)
class TokenHolder:
    user_id: int
    email: str
    role: AdminRole


def _clean_name(name: str) -> str:
    value = " ".join(name.split())
    if not value:
        raise InputError("a token needs a name, such as 'newsroom script'")
    if len(value) > MAX_NAME:
        raise InputError(f"a token's name must have at most {MAX_NAME} characters")
    return value


def issue_token(db: Database, user_id: int, name: str) -> IssuedToken:
    clean = _clean_name(name)
    token = PREFIX + new_token()
    with db.session() as session:
        if session.get(AdminUser, user_id) is None:
            raise InputError(f"no admin user {user_id}")
        row = ApiToken(user_id=user_id, name=clean, token_hash=token_hash(token),
                       prefix=token[:len(PREFIX) + 4])
        session.add(row)
    return IssuedToken(row.id, clean, token)


def user_tokens(db: Database, user_id: int) -> list[ApiToken]:
    with db.session() as session:
        return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                                    .order_by(ApiToken.id)))


def revoke_token(db: Database, user_id: int, token_id: int) -> bool:
    """Only the token's own user revokes it here; False when it is not theirs or gone."""
    with db.session() as session:
        done = session.execute(update(ApiToken).where(
            ApiToken.id == token_id, ApiToken.user_id == user_id,
            ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
            .returning(ApiToken.id)).all()
    return bool(done)


def revoke_all(db: Database, user_id: int) -> None:
    with db.session() as session:
        session.execute(update(ApiToken).where(ApiToken.user_id == user_id,
                                               ApiToken.revoked_at.is_(None))
                        .values(revoked_at=utcnow()))


def token_holder(db: Database, token: str) -> TokenHolder | None:
    """Whose live token this is; None for anything else."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    with db.session() as session:
        found = session.execute(
            select(ApiToken.id, AdminUser.id, AdminUser.email, AdminUser.role)
            .join(AdminUser, AdminUser.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_hash(token),
                   ApiToken.revoked_at.is_(None))).one_or_none()
        if found is None:
            return None
        session.execute(update(ApiToken).where(ApiToken.id == found[0])
                        .values(last_used_at=utcnow()))
    return TokenHolder(found[1], found[2], AdminRole(found[3]))
