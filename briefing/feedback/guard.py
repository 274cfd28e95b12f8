"""Guard rails: stop a list's sending when an edition bounces or draws complaints too much.

Mailbox providers judge a sender by these rates (Gmail and Yahoo require bulk senders to stay
under 0.3 % complaints); a list imported from an old spreadsheet can burn the sending domain's
reputation in one morning. Past BRIEFING_PAUSE_BOUNCE_RATE hard bounces or
BRIEFING_PAUSE_COMPLAINT_RATE complaints, out of at least MIN_ACCEPTED copies, the list's
sending pauses with the reason written on the list; `briefing editions resume ID` lifts it.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from briefing.core.config import Settings
from briefing.core.models import Delivery, Edition, MailingList
from briefing.editions.feedback_rates import feedback_rates

__all__ = ["MIN_ACCEPTED", "check"]

log = logging.getLogger(__name__)

# Fewer copies than this say little: one bounce in twenty is 5 % of nothing.
MIN_ACCEPTED = 100


def check(session: Session, settings: Settings, delivery: Delivery) -> str | None:
    """Pause the delivery's list if its edition is past a guard rail; the reason, or None."""
    edition = session.get(Edition, delivery.edition_id)
    mailing_list = session.get(MailingList, edition.list_id) if edition else None
    if edition is None or mailing_list is None or mailing_list.sending_paused:
        return None
    rates = feedback_rates(session, edition.id)
    if rates.accepted < MIN_ACCEPTED:
        return None
    reason = _reason(rates.bounce_rate, settings.pause_bounce_rate, "hard-bounce",
                     "BRIEFING_PAUSE_BOUNCE_RATE") or _reason(
        rates.complaint_rate, settings.pause_complaint_rate, "complaint",
        "BRIEFING_PAUSE_COMPLAINT_RATE")
    if reason is not None:
        mailing_list.sending_paused = f"edition {edition.id}: {reason}"
        log.warning("list %s paused: %s", mailing_list.slug, mailing_list.sending_paused)
    return reason


def _reason(rate: float, limit_percent: float, what: str, setting: str) -> str | None:
    if rate * 100 <= limit_percent:
        return None
    return f"{what} rate {rate:.1%} passed {setting}={limit_percent:g}%"
