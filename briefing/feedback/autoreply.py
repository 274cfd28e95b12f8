"""Automatic replies (RFC 3834): vacation notices and other machine answers, not bounces.

An out-of-office note says the address works; treating it as a bounce would suppress a
reader for going on holiday. Bounces carry "Auto-Submitted: auto-replied" too (Exim's do), so
this is asked only after the message was found not to be a delivery report.
"""

from __future__ import annotations

import re
from email.message import Message

from briefing.feedback.addressing import addresses_in
from briefing.feedback.mime import header

__all__ = ["auto_reply_sender"]

_SUBJECT = re.compile(
    r"out of (?:the )?office|auto(?:matic|matische)?[- ]?(?:reply|response|answer|antwort|"
    r"réponse|respuesta|risposta)|vacation|on holiday|away from (?:the|my) office|"
    r"abwesen|urlaub|absence|abwesenheit|congés|ausente|assente|自動応答|自動返信|不在",
    re.IGNORECASE)
_MARKER_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Vacation", "X-Mail-Autoreply")


def auto_reply_sender(message: Message) -> str | None:
    """The address that answered automatically, or None when this is not an auto-reply."""
    if not _is_auto_reply(message):
        return None
    senders = addresses_in(header(message, "Reply-To") or header(message, "From"))
    return senders[0] if senders else ""


def _is_auto_reply(message: Message) -> bool:
    submitted = header(message, "Auto-Submitted").lower()
    if submitted.startswith("auto-replied"):
        return True
    precedence = header(message, "Precedence").lower()
    if precedence in ("auto_reply", "auto-reply") or any(message.get(h) for h in _MARKER_HEADERS):
        return True
    return bool(_SUBJECT.search(header(message, "Subject")))
