"""A reader's own preferences, reached from the signed link in any email they were sent.

An unsubscribe token names one subscription, and so one person: the preferences page shows
every list that person has a subscription row for, and lets them leave lists, re-join lists
they left, and change the name they are greeted by. Re-joining is fresh consent (the person
acts through a link mailed to their own inbox), recorded like a sign-up's: source, time and
client address. Only a list they left can be switched back on: a bounced or complained
address, or an opt-in still waiting for its confirmation, is not theirs to switch on here.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Row, select, update
from sqlalchemy.orm import Session

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import (
    ConsentSource,
    Frequency,
    MailingList,
    Subscription,
    SubscriptionStatus,
)
from briefing.core.zones import checked_zone
from briefing.mail.addresses import person_name
from briefing.subscribers.frequency import checked_frequency
from briefing.subscribers.subscriptions import consent_ip, leave, subscriber_for

Status = SubscriptionStatus
CHANGEABLE = (Status.ACTIVE, Status.UNSUBSCRIBED)


@dataclass(frozen=True)
class ListChoice:
    slug: str
    name: str
    status: Status
    frequency: Frequency = Frequency.DAILY

    @property
    def changeable(self) -> bool:
        return self.status in CHANGEABLE

    @property
    def subscribed(self) -> bool:
        return self.status == Status.ACTIVE


@dataclass(frozen=True)
class Preferences:
    email: str
    name: str
    lists: tuple[ListChoice, ...]
    timezone: str | None = None


@dataclass(frozen=True)
class Changes:
    left: tuple[str, ...]    # names of the lists left
    joined: tuple[str, ...]  # names of the lists joined again
    renamed: bool


def _rows(session: Session, subscriber_id: int
          ) -> Sequence[Row[int, str, str, Status, Frequency]]:
    return session.execute(
        select(Subscription.id, MailingList.slug, MailingList.name, Subscription.status,
               Subscription.frequency)
        .join(MailingList, MailingList.id == Subscription.list_id)
        .where(Subscription.subscriber_id == subscriber_id)
        .order_by(MailingList.name, MailingList.slug)).all()


def load(db: Database, token: str, settings: Settings) -> Preferences:
    """What the page shows; changes nothing (mail scanners open links)."""
    with db.session() as session:
        person = subscriber_for(session, token, settings)
        choices = tuple(ListChoice(slug, name, status, frequency)
                        for _, slug, name, status, frequency in _rows(session, person.id))
        return Preferences(person.email, person.name, choices, person.timezone)


def save(db: Database, token: str, settings: Settings, *, name: str | None,
         shown: Collection[str], wanted: Collection[str], ip: str | None,
         timezone: str | None = None, frequencies: Mapping[str, str] | None = None
         ) -> Changes:
    """Apply the form: lists in `shown` (the ones the page offered) are on when in `wanted`.

    Lists not shown are left alone, so a page opened before the reader joined another list
    cannot end that subscription. `name` and `timezone` None keep what is stored ("" clears
    the zone). Raises InputError for a bad name or zone before anything changes, and
    TokenError for a bad link."""
    clean = None if name is None else person_name(name)
    zone = checked_zone(timezone) if timezone and timezone.strip() else timezone
    often = {slug: checked_frequency(value) for slug, value in (frequencies or {}).items()}
    with db.session() as session:
        person = subscriber_for(session, token, settings)
        renamed = clean is not None and clean != person.name
        if clean is not None:
            person.name = clean
        if zone is not None:
            person.timezone = zone.strip() or None
        rows = [row for row in _rows(session, person.id) if row.slug in shown]
        for row in rows:
            if row.slug in often and often[row.slug] != row.frequency:
                session.execute(update(Subscription).where(Subscription.id == row.id)
                                .values(frequency=often[row.slug], updated_at=utcnow()))
        off = [row.id for row in rows if row.status == Status.ACTIVE and row.slug not in wanted]
        on = [row.id for row in rows if row.status == Status.UNSUBSCRIBED and row.slug in wanted]
        left = leave(session, Subscription.id.in_(off)) if off else []
        joined = _rejoin(session, on, ip) if on else []
        names = {row.id: row.name for row in rows}
        return Changes(tuple(names[i] for i in left), tuple(names[i] for i in joined), renamed)


def _rejoin(session: Session, ids: list[int], ip: str | None) -> list[int]:
    # Conditional on the status still being `unsubscribed`: a bounce or complaint recorded
    # since the page was opened wins.
    now = utcnow()
    return list(session.scalars(
        update(Subscription)
        .where(Subscription.id.in_(ids), Subscription.status == Status.UNSUBSCRIBED)
        .values(status=Status.ACTIVE, consent_source=ConsentSource.PREFERENCES, consent_at=now,
                consent_ip=consent_ip(ip), confirmed_at=now, confirm_nonce=None, updated_at=now)
        .returning(Subscription.id)))
