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
from briefing.subscribers.frequency import Cadence, checked_cadence
from briefing.subscribers.subscriptions import consent_ip, leave, subscriber_for
from briefing.subscribers.topics import chosen_key, effective_topics, list_topics

Status = SubscriptionStatus
CHANGEABLE = (Status.ACTIVE, Status.UNSUBSCRIBED)


@dataclass(frozen=True)
class ListChoice:
    slug: str
    name: str
    status: Status
    frequency: Frequency = Frequency.DAILY
    weekly_day: int = 0
    topics: tuple[str, ...] = ()   # chosen (none: everything)
    offered: tuple[str, ...] = ()  # the list's topics

    @property
    def cadence(self) -> str:
        return str(Cadence(self.frequency, self.weekly_day))

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
          ) -> Sequence[Row[Subscription, MailingList]]:
    return session.execute(
        select(Subscription, MailingList)
        .join(MailingList, MailingList.id == Subscription.list_id)
        .where(Subscription.subscriber_id == subscriber_id)
        .order_by(MailingList.name, MailingList.slug)).all()


def load(db: Database, token: str, settings: Settings) -> Preferences:
    """What the page shows; changes nothing (mail scanners open links)."""
    with db.session() as session:
        person = subscriber_for(session, token, settings)
        choices = tuple(_choice(row, mailing_list)
                        for row, mailing_list in _rows(session, person.id))
        return Preferences(person.email, person.name, choices, person.timezone)


def _choice(row: Subscription, mailing_list: MailingList) -> ListChoice:
    offered = list_topics(mailing_list)
    chosen = tuple(sorted(effective_topics(row.topics, offered)))
    return ListChoice(mailing_list.slug, mailing_list.name, row.status, row.frequency,
                      row.weekly_day, chosen, tuple(offered))


def save(db: Database, token: str, settings: Settings, *, name: str | None,
         shown: Collection[str], wanted: Collection[str], ip: str | None,
         timezone: str | None = None, frequencies: Mapping[str, str] | None = None,
         topics: Mapping[str, Collection[str]] | None = None) -> Changes:
    """Apply the form: lists in `shown` (the ones the page offered) are on when in `wanted`.

    Lists not shown are left alone, so a page opened before the reader joined another list
    cannot end that subscription. `name` and `timezone` None keep what is stored ("" clears
    the zone). *frequencies* maps a list to `daily`, `weekdays` or `weekly:<day>`; *topics*
    maps a list whose topics were shown to those ticked (none: everything). Each takes effect
    from the list's next edition. Raises InputError for a bad name, zone, frequency or topic
    before anything changes, and TokenError for a bad link."""
    clean = None if name is None else person_name(name)
    zone = checked_zone(timezone) if timezone and timezone.strip() else timezone
    often = {slug: checked_cadence(value) for slug, value in (frequencies or {}).items()}
    with db.session() as session:
        person = subscriber_for(session, token, settings)
        renamed = clean is not None and clean != person.name
        if clean is not None:
            person.name = clean
        if zone is not None:
            person.timezone = zone.strip() or None
        pairs = [(row, mailing_list) for row, mailing_list in _rows(session, person.id)
                 if mailing_list.slug in shown]
        keys = {mailing_list.slug: chosen_key(mailing_list, (topics or {})[mailing_list.slug])
                for _, mailing_list in pairs if mailing_list.slug in (topics or {})}
        for row, mailing_list in pairs:
            _apply_choices(row, often.get(mailing_list.slug), keys.get(mailing_list.slug))
        rows = [_Listed(row.id, mailing_list.slug, mailing_list.name, row.status)
                for row, mailing_list in pairs]
        off = [row.id for row in rows if row.status == Status.ACTIVE and row.slug not in wanted]
        on = [row.id for row in rows if row.status == Status.UNSUBSCRIBED and row.slug in wanted]
        left = leave(session, Subscription.id.in_(off)) if off else []
        joined = _rejoin(session, on, ip) if on else []
        names = {row.id: row.name for row in rows}
        return Changes(tuple(names[i] for i in left), tuple(names[i] for i in joined), renamed)


@dataclass(frozen=True)
class _Listed:
    id: int
    slug: str
    name: str
    status: Status


def _apply_choices(row: Subscription, cadence: Cadence | None, topics: str | None) -> None:
    values = cadence.changes(row.frequency, row.weekly_day) if cadence else {}
    if topics is not None and topics != row.topics:
        values["topics"] = topics
    for name, value in values.items():
        setattr(row, name, value)
    if values:
        row.updated_at = utcnow()


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
