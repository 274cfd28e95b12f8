"""When is a list's briefing due? Asked every minute by the beat tick, answered per list in
the list's own time zone, by the wall clock.

Comparing wall-clock times (not UTC offsets) is what keeps DST changes boring: on the
spring-forward day a 02:30 send happens at 03:00, the first minute that exists after it;
on the fall-back day the second 02:30 finds today's edition already there (one per list and
local date, enforced by a unique constraint), so nothing is built or sent twice.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from briefing.core.clock import utcnow
from briefing.core.db import Database
from briefing.core.models import Edition, EditionStatus, MailingList

log = logging.getLogger(__name__)


def local_now(mailing_list: MailingList, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(mailing_list.timezone))


def due_date(mailing_list: MailingList, now: datetime) -> date | None:
    """The local date whose edition is due at `now`, or None before today's send time.

    A list created after today's send time starts tomorrow, so creating a list at 10:00 with
    a 07:00 send time does not fire an edition at once."""
    local = local_now(mailing_list, now)
    send_at = datetime.combine(local.date(), mailing_list.send_time)
    if local.replace(tzinfo=None) < send_at:
        return None
    created = local_now(mailing_list, mailing_list.created_at).replace(tzinfo=None)
    if created > send_at:
        return None
    return local.date()


def create_due_editions(db: Database, now: datetime | None = None) -> list[int]:
    """Create today's edition for every list whose send time has come; return the new ids."""
    now = now or utcnow()
    with db.session() as session:
        lists = list(session.scalars(select(MailingList)))
    created: list[int] = []
    for mailing_list in lists:
        day = due_date(mailing_list, now)
        if day is not None:
            edition_id = _create_once(db, mailing_list.id, day)
            if edition_id is not None:
                log.info("edition %d for list %s, %s, created", edition_id,
                         mailing_list.slug, day)
                created.append(edition_id)
    return created


def _create_once(db: Database, list_id: int, day: date) -> int | None:
    with db.session() as session:
        exists = session.scalar(select(Edition.id).where(
            Edition.list_id == list_id, Edition.edition_date == day))
        if exists is not None:
            return None
        edition = Edition(list_id=list_id, edition_date=day, status=EditionStatus.BUILDING)
        try:
            with session.begin_nested():  # two beat ticks at once: the unique pair decides
                session.add(edition)
        except IntegrityError:
            return None
        return edition.id


def first_edition_window() -> timedelta:
    """How far back the first edition of a list looks for news."""
    return timedelta(hours=24)
