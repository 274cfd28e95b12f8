"""What reading a report yields: plain values, no I/O, nothing tied to the database.

The later steps (matching a report to a delivery by its VERP token or Message-ID, storing it,
suppressing an address) take these values and decide; reading never changes anything.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

__all__ = ["Kind", "RecipientReport", "Report"]


class Kind(enum.StrEnum):
    HARD = "hard"              # the address is dead: suppress it
    SOFT = "soft"              # temporary, or about us or the content: count it only
    COMPLAINT = "complaint"    # the reader reported the message as spam
    AUTO_REPLY = "auto_reply"  # a vacation notice or other automatic answer
    NONE = "none"              # delivered, relayed, or nothing to act on


@dataclass(frozen=True)
class RecipientReport:
    """What a report says about one recipient of the original message."""

    recipient: str | None
    kind: Kind
    status: str | None        # RFC 3463 code, e.g. "5.1.1"
    reason: str               # sisimai's reason name, e.g. "userunknown"
    diagnostic: str = ""      # the remote server's words, as reported
    feedback_type: str | None = None   # ARF Feedback-Type for complaints ("abuse", …)


@dataclass(frozen=True)
class Report:
    """One received message read as a bounce, complaint or automatic reply (or as none)."""

    format: str                                  # "dsn", "arf", "auto_reply", "text", "none"
    recipients: tuple[RecipientReport, ...] = ()
    message_id: str | None = None                # the original message's Message-ID
    envelope_addresses: tuple[str, ...] = ()     # VERP-like addresses the report was sent to
    truncated: bool = False                      # only a prefix of the message was read
    notes: tuple[str, ...] = field(default=())   # why a message was not read as a report

    @property
    def is_report(self) -> bool:
        return bool(self.recipients)
