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
from briefing.core.models import Edition, EditionKind, EditionStatus, MailingList
from briefing.editions.reader_time import reader_zones
from briefing.editions.weekly import has_weekly_readers, week_monday

log = logging.getLogger(__name__)


def local_now(mailing_list: MailingList, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(mailing_list.timezone))


def due_date(mailing_list: MailingList, now: datetime, zone: str | None = None) -> date | None:
    """The local date (in *zone*, default the list's) whose edition is due at `now`, or None
    before today's send time there.

    A list created after today's send time starts tomorrow, so creating a list at 10:00 with
    a 07:00 send time does not fire an edition at once."""
    where = ZoneInfo(zone or mailing_list.timezone)
    local = now.astimezone(where)
    send_at = datetime.combine(local.date(), mailing_list.send_time)
    if local.replace(tzinfo=None) < send_at:
        return None
    created = mailing_list.created_at.astimezone(where).replace(tzinfo=None)
    if created > send_at:
        return None
    return local.date()


def first_due_date(mailing_list: MailingList, zones: set[str], now: datetime) -> date | None:
    """For a list sent at each reader's local time: the latest local date whose send time has
    come in any of its readers' zones (the zone furthest east reaches a date first), so the
    edition is composed before its first reader is due."""
    days = [due_date(mailing_list, now, zone) for zone in {mailing_list.timezone, *zones}]
    return max((day for day in days if day is not None), default=None)


def create_due_editions(db: Database, now: datetime | None = None) -> list[int]:
    """Create the edition of every list whose send time has come (and the week's weekly
    edition, for lists with weekly readers); return the new ids."""
    now = now or utcnow()
    with db.session() as session:
        lists = list(session.scalars(select(MailingList)))
        zones = {row.id: reader_zones(session, row.id) for row in lists if row.reader_time}
        weekly = {row.id for row in lists if has_weekly_readers(session, row.id)}
    created: list[int] = []
    for mailing_list in lists:
        day = (first_due_date(mailing_list, zones[mailing_list.id], now)
               if mailing_list.reader_time else due_date(mailing_list, now))
        if day is None:
            continue
        due = [(EditionKind.DAILY, day)]
        monday = week_monday(day)
        if mailing_list.id in weekly and _existed_on(mailing_list, monday):
            due.append((EditionKind.WEEKLY, monday))
        for kind, edition_date in due:
            edition_id = _create_once(db, mailing_list.id, edition_date, kind)
            if edition_id is not None:
                log.info("%s edition %d for list %s, %s, created", kind.value, edition_id,
                         mailing_list.slug, edition_date)
                created.append(edition_id)
    return created


def _existed_on(mailing_list: MailingList, day: date) -> bool:
    """A list made mid-week sends its first weekly the next Monday, not at once; a weekly
    missed on Monday (the scheduler was down) still goes out later that week."""
    made = mailing_list.created_at.astimezone(ZoneInfo(mailing_list.timezone)).date()
    return made <= day


def _create_once(db: Database, list_id: int, day: date, kind: EditionKind) -> int | None:
    with db.session() as session:
        exists = session.scalar(select(Edition.id).where(
            Edition.list_id == list_id, Edition.edition_date == day, Edition.kind == kind))
        if exists is not None:
            return None
        edition = Edition(list_id=list_id, edition_date=day, kind=kind,
                          status=EditionStatus.BUILDING)
        try:
            with session.begin_nested():  # two beat ticks at once: the unique triple decides
                session.add(edition)
        except IntegrityError:
            return None
        return edition.id


def first_edition_window() -> timedelta:
    """How far back the first edition of a list looks for news."""
    return timedelta(hours=24)
