"""Deciding "hard" from an SMTP reply a provider passes on, the way reports are judged."""

from __future__ import annotations

from briefing.feedback.classify import judge
from briefing.feedback.model import Kind


def hard_from_reply(status: str, reply: str) -> bool:
    """Whether a status code and reply text say the address is dead."""
    return judge(None, status=status or None, diagnostic=reply, action="failed").kind is Kind.HARD
