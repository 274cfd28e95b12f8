"""A server that says "slow down": pause the SMTP account, unless one reader is the cause.

Such a refusal (see `briefing.delivery.smtp_replies.throttled`) is nearly always about the
account: the provider wants fewer messages. Then every sender pauses
(`briefing.delivery.pacing.pause`), and the refused reader and the rest of the batch go back to
the queue without spending an attempt.

But a relay can also answer one recipient that way (a rule for one domain, say). Pausing
for that would stall the edition, and every list on the account with it, pause after pause.
So a reader who was the one refused at an earlier pause as well gets a second opinion: it
goes back to the queue unspent for now, and the next reader's copy decides. If the server
answers that reader on its own terms (accepts it, or refuses it for reasons of its own), the
refusal was about the first reader, who spends the attempt like after any 4xx. If the next
reader is told to slow down too, the account is paused as usual. A reader with nobody after
it in its batch cannot get a second opinion and spends the attempt.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from sqlalchemy import update

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.models import Delivery, DeliveryStatus
from briefing.delivery.claims import Claimed, release
from briefing.delivery.outcomes import retry_outcome
from briefing.delivery.pacing import Pause, pause


class Judgement(enum.Enum):
    PAUSED = "paused"  # the account is paused: stop the batch
    WAIT_AND_SEE = "wait and see"  # the next reader decides: go on
    ABOUT_READER = "about the reader"  # retry this reader like after a 4xx: go on


class SecondOpinion:
    """Judges the "slow down" refusals of one batch, in the order they are sent."""

    def __init__(self, db: Database, token: str, settings: Settings) -> None:
        self.db, self.token, self.settings = db, token, settings
        self.suspect: Claimed | None = None
        self.suspect_reply = ""
        self.pause: Pause | None = None  # set when the judgement was PAUSED

    def refused(self, row: Claimed, reply: str, others_follow: bool) -> Judgement:
        if self.suspect is None and row.throttled:
            if not others_follow:
                return Judgement.ABOUT_READER
            self._hold(row, reply)
            self.suspect, self.suspect_reply = row, reply
            return Judgement.WAIT_AND_SEE
        self.pause = pause(self.db, self.settings, reply)
        if self.suspect is None:  # the first refused: the reader to watch next time
            self._put_back(row, reply, throttled=Delivery.throttled + 1)
        else:  # the suspect is cleared: it waits out the pause like the rest
            self._put_back(row, reply)
            self._clear_suspect()
        return Judgement.PAUSED

    def answered(self) -> None:
        """The server answered the reader after the suspect on its own terms: the
        suspect's refusal was about the suspect, who now spends its attempt."""
        suspect, self.suspect = self.suspect, None
        if suspect is None:
            return
        note = f"{self.suspect_reply[:400]}; refused for this reader alone: retried like any 4xx"
        with self.db.session() as session:
            session.execute(update(Delivery).where(
                Delivery.id == suspect.id, Delivery.claim.is_(None),
                Delivery.status == DeliveryStatus.QUEUED)
                .values(attempts=Delivery.attempts + 1,
                        **retry_outcome(suspect, note, self.settings)))

    def _hold(self, row: Claimed, reply: str) -> None:
        """Back to the queue unspent, out of reach until a pause would have ended."""
        release(self.db, [row], self.token,
                f"{reply[:400]}; refused again: the next reader decides whether this is "
                "about this reader",
                utcnow() + timedelta(seconds=self.settings.smtp_throttle_pause),
                throttled=Delivery.throttled + 1)

    def _put_back(self, row: Claimed, reply: str, **values: object) -> None:
        assert self.pause is not None
        release(self.db, [row], self.token, f"{reply[:300]}; {self.pause}",
                self.pause.ends_at, **values)

    def _clear_suspect(self) -> None:
        suspect, self.suspect = self.suspect, None
        assert suspect is not None and self.pause is not None
        with self.db.session() as session:
            session.execute(update(Delivery).where(
                Delivery.id == suspect.id, Delivery.claim.is_(None),
                Delivery.status == DeliveryStatus.QUEUED)
                .values(due_at=self.pause.ends_at))
