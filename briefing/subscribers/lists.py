"""Subscriber lists: create, change, show, delete."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select

from briefing.core.db import Database
from briefing.core.errors import InputError, NotFound
from briefing.core.models import Edition, Feed, MailingList, Subscription, SubscriptionStatus
from briefing.mail.addresses import clean_name, parse_address
from briefing.subscribers.list_rules import RulesChange, checked_locale, merged_rules

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


class ListInUse(InputError):
    """The list has editions; deleting it needs force."""


class ListNotFound(NotFound):
    def __init__(self, key: str | int) -> None:
        super().__init__(f"no list {key!r}")


@dataclass(frozen=True)
class ListChanges:
    """Fields to set on a list; None means "leave as it is"."""

    name: str | None = None
    description: str | None = None
    from_name: str | None = None
    from_address: str | None = None
    reply_to: str | None = None
    send_time: str | None = None       # "HH:MM", the list's local time
    timezone: str | None = None        # IANA name, e.g. "Europe/Berlin"
    max_articles: int | None = None
    summary_sentences: int | None = None
    postal_address: str | None = None
    locale: str | None = None          # the email's own words and dates, e.g. "de"
    rules: RulesChange | None = None   # which articles the list takes (list_rules.py)


def _checked(changes: ListChanges) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for field in fields(changes):
        raw = getattr(changes, field.name)
        if raw is not None and field.name != "rules":
            values[field.name] = _CHECKS.get(field.name, _text(500))(raw)
    return values


def problems(changes: ListChanges) -> dict[str, str]:
    """What is wrong with each field given (field name → message), for a form that shows
    each problem next to its field; empty when every value is fine."""
    found = {}
    for field in fields(changes):
        raw = getattr(changes, field.name)
        if raw is None or field.name == "rules":
            continue
        try:
            _CHECKS.get(field.name, _text(500))(raw)
        except (InputError, ValueError) as exc:
            found[field.name] = str(exc)
    return found


def _text(limit: int) -> Any:
    def check(raw: str) -> str:
        value = raw.strip()
        if len(value) > limit:
            raise InputError(f"text is longer than {limit} characters")
        return value
    return check


def _send_time(raw: str) -> time:
    try:
        return time.fromisoformat(raw.strip()).replace(second=0, microsecond=0)
    except ValueError:
        raise InputError(f"send time {raw!r} is not HH:MM") from None


def _timezone(raw: str) -> str:
    try:
        ZoneInfo(raw.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"{raw!r} is not an IANA time zone such as Europe/Berlin") from None
    return raw.strip()


def _between(low: int, high: int, what: str) -> Any:
    def check(raw: int) -> int:
        if not low <= int(raw) <= high:
            raise InputError(f"{what} must be from {low} to {high}")
        return int(raw)
    return check


def _required_name(raw: str) -> str:
    value = clean_name(raw)
    if not value:
        raise InputError("name is empty")
    return value


_CHECKS: dict[str, Any] = {
    "name": _required_name,
    "from_name": clean_name,
    "from_address": lambda raw: parse_address(raw).email,
    "reply_to": lambda raw: parse_address(raw).email if raw.strip() else None,
    "send_time": _send_time,
    "timezone": _timezone,
    "max_articles": _between(1, 100, "max articles"),
    "summary_sentences": _between(1, 20, "summary sentences"),
    "description": _text(2000),
    "postal_address": _text(500),
    "locale": checked_locale,
}


def _apply_rules(session: Any, row: MailingList, change: RulesChange | None) -> None:
    if change is None or change.empty:
        return
    rules = merged_rules(row.rules, change)
    missing = sorted(set(rules.get("feeds", ())) - set(session.scalars(
        select(Feed.id).where(Feed.id.in_(rules.get("feeds", []))))))
    if missing:
        raise InputError("no feed " + ", ".join(str(i) for i in missing))
    row.rules = rules or None


def create_list(db: Database, slug: str, changes: ListChanges) -> MailingList:
    if not SLUG.match(slug):
        raise InputError(f"slug {slug!r} must be lower-case letters, digits and dashes")
    values = _checked(changes)
    for required in ("name", "from_address"):
        if not values.get(required):
            raise InputError(f"a list needs a {required.replace('_', ' ')}")
    values.setdefault("from_name", values["name"])
    with db.session() as session:
        if session.scalar(select(MailingList.id).where(MailingList.slug == slug)):
            raise InputError(f"a list with slug {slug!r} already exists")
        row = MailingList(slug=slug, **values)
        _apply_rules(session, row, changes.rules)
        session.add(row)
    return row


def update_list(db: Database, key: str | int, changes: ListChanges) -> MailingList:
    values = _checked(changes)
    with db.session() as session:
        row = _find(session, key)
        for name, value in values.items():
            setattr(row, name, value)
        _apply_rules(session, row, changes.rules)
    return row


def get_list(db: Database, key: str | int) -> MailingList:
    with db.session() as session:
        return _find(session, key)


def all_lists(db: Database) -> list[MailingList]:
    with db.session() as session:
        return list(session.scalars(select(MailingList).order_by(MailingList.slug)))


def subscriber_counts(db: Database, list_id: int) -> dict[str, int]:
    with db.session() as session:
        rows = session.execute(select(Subscription.status, func.count())
                               .where(Subscription.list_id == list_id)
                               .group_by(Subscription.status))
        counts = {str(status): 0 for status in SubscriptionStatus}
        counts.update({str(status): int(n) for status, n in rows})
        return counts


def delete_list(db: Database, key: str | int, *, force: bool = False) -> None:
    """Delete a list and its subscriptions (subscribers stay: they may be on other lists).

    Refused while the list has editions, whose archive would vanish with it, unless forced.
    """
    with db.session() as session:
        row = _find(session, key)
        editions = session.scalar(select(func.count()).where(Edition.list_id == row.id)) or 0
        if editions and not force:
            raise ListInUse(f"list {row.slug!r} has {editions} editions; deleting it deletes "
                            "their archive too (force it to go ahead)")
        session.delete(row)


def _find(session: Any, key: str | int) -> MailingList:
    """By id when given an int, by slug when given a string (a slug may be all digits)."""
    if isinstance(key, int):
        row = session.get(MailingList, key) if 0 < key < 2**31 else None
    else:
        row = session.scalar(select(MailingList).where(MailingList.slug == key))
    if row is None:
        raise ListNotFound(key)
    found: MailingList = row
    return found
