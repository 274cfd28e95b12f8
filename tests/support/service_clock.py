"""The service as the beat runs it, on a frozen clock: tick, build what is due, send what is
due, every step; a day's news arrives at 12:30 UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import time_machine
from sqlalchemy import select

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import Edition, EditionStatus
from briefing.delivery import send_edition as deliver
from briefing.editions import schedule
from briefing.editions.compose import build_edition

NEWS_AT = (12, 30)


def run_service(db: Database, settings: Settings, start: datetime, end: datetime, *,
                step: timedelta, news: Callable[[int], None], first_day: int = 0) -> None:
    """From *start* to *end*: `news(n)` brings the n-th day's articles (counting from
    *first_day*), the scheduler ticks and every due edition is built and sent."""
    with time_machine.travel(start, tick=False) as clock:
        now, day = start, first_day
        while now < end:
            clock.move_to(now)
            if (now.hour, now.minute) == NEWS_AT:
                news(day)
                day += 1
            for edition_id in schedule.create_due_editions(db, now):
                assert build_edition(db, edition_id, settings) == EditionStatus.SENDING
            for edition_id in sending(db):
                deliver.send_some(db, edition_id, settings)
            now += step


def sending(db: Database) -> list[int]:
    with db.session() as session:
        return list(session.scalars(select(Edition.id).where(
            Edition.status == EditionStatus.SENDING)))
