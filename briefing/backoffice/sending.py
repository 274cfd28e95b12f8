"""Sending from the admin and the CLI: resume an edition held by a throttling pause or by
its list's guard rails (briefing.feedback.guard)."""

from __future__ import annotations

import time

from sqlalchemy import update

from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import EditionStatus, MailingList, SendPacing
from briefing.delivery.pacing import account_key
from briefing.editions.service import edition_info


def resume_edition(db: Database, edition_id: int, settings: Settings) -> None:
    """Lift the SMTP account's pause now, so the edition's senders go on at once (the
    caller enqueues them after this commits). The pause doubling is kept: a server that
    throttles again gets a longer pause."""
    info = edition_info(db, edition_id)
    if info.status != EditionStatus.SENDING:
        raise InputError(f"edition {edition_id} is {info.status}: there is nothing to resume")
    with db.session() as session:
        session.execute(update(SendPacing).where(SendPacing.key == account_key(settings))
                        .values(paused_until=time.time()))
        # The operator has looked at the bounces or complaints and decided to go on.
        session.execute(update(MailingList).where(MailingList.slug == info.list_slug)
                        .values(sending_paused=None))
