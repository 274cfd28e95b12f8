"""Reading one received message as a bounce, a complaint, an auto-reply — or as none of them.

The most explicit evidence is asked first: a feedback report (ARF) is a complaint whatever
else it says; a delivery-status part (RFC 3464) is per-recipient fields a server wrote for
machines; only without those is the prose read for the layout people-oriented bounces share,
with flufl.bounce's detectors as a second opinion on which addresses failed; and only a
message that is none of these is asked whether it is an automatic reply.
"""

from __future__ import annotations

import logging
from email.message import Message

from briefing.feedback.addressing import addresses_in, normalize
from briefing.feedback.arf import read_complaint
from briefing.feedback.autoreply import auto_reply_sender
from briefing.feedback.classify import judge
from briefing.feedback.dsn import StatusBlock, status_blocks
from briefing.feedback.mime import (
    DEFAULT_LIMITS,
    Limits,
    content_type,
    header,
    load,
    readable_parts,
    text_of,
)
from briefing.feedback.model import Kind, RecipientReport, Report
from briefing.feedback.original import envelope_addresses, original_message_id
from briefing.feedback.plaintext import Failure, failures_in, human_text, looks_like_bounce
from briefing.feedback.providers import notice_reason
from briefing.feedback.sesmail import ses_notification
from briefing.feedback.status import find_status, prefer, vague

__all__ = ["read_report"]

log = logging.getLogger(__name__)


def read_report(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> Report:
    """What `raw` reports, per recipient; raises ReportError for bytes that are not mail."""
    message, truncated = load(raw, limits)
    recipients, form = _recipients(message, limits)
    return Report(form, tuple(recipients), original_message_id(message, limits),
                  envelope_addresses(message), truncated)


def _recipients(message: Message, limits: Limits) -> tuple[list[RecipientReport], str]:
    complaint = read_complaint(message, limits)
    if complaint is not None:
        return [RecipientReport(r, Kind.COMPLAINT, None, "feedback", "", complaint.feedback_type)
                for r in complaint.recipients], "arf"
    text = _readable_text(message, limits)
    mailed_json = ses_notification(message, text)
    if mailed_json is not None:
        return mailed_json, "ses"
    failures, preamble = failures_in(text, _ours(message))
    blocks = status_blocks(message, limits)
    if blocks:
        return _from_status_blocks(blocks, failures, text), "dsn"
    if _is_bounce(message, text):
        failures = failures or _failures_named_elsewhere(message, text)
        return _from_prose(failures, preamble, notice_reason(message, text)), "text"
    sender = auto_reply_sender(message)
    if sender is not None:
        return [RecipientReport(sender or None, Kind.AUTO_REPLY, None, "vacation")], "auto_reply"
    return [], "none"


def _readable_text(message: Message, limits: Limits) -> str:
    found = [(content_type(p).partition("/")[2], text_of(p, limits))
             for p in readable_parts(message, limits)]
    plain = [text for subtype, text in found if subtype == "plain" and text.strip()]
    return "\n".join(plain or [human_text(text, is_html=True) for _, text in found])


def _ours(message: Message) -> set[str]:
    # The report was mailed to the original sender: that address is never the failed one.
    return {a.lower() for name in ("To", "From", "Reply-To")
            for a in addresses_in(header(message, name))}


def _from_status_blocks(blocks: list[StatusBlock], failures: list[Failure],
                        text: str) -> list[RecipientReport]:
    prose = {f.recipient.lower(): f for f in failures}
    reports = []
    for block in blocks:
        failure = prose.get((block.recipient or "").lower())
        own = failure.context if failure else ""
        if failure and _only_echoes(block):
            reports.append(judge(block.recipient, status=find_status(own),
                                 diagnostic=failure.diagnostic, context=own))
            continue
        reports.append(judge(block.recipient, status=_status(block, own),
                             diagnostic=block.diagnostic, action=block.action,
                             context=own or text))
    return reports


def _only_echoes(block: StatusBlock) -> bool:
    """A status part outside a report that says less than the text beside it.

    OpenSMTPD attaches one to a multipart/mixed notice with no Diagnostic-Code and only
    "5.0.0", "4.0.0" or "4.4.7": the server's words are in the text, which is read instead,
    as bounce processors that know only RFC 3464's multipart/report do.
    """
    return not block.standard and not block.diagnostic and (
        block.status is None or vague(block.status))


def _status(block: StatusBlock, prose: str) -> str | None:
    """The block's Status, or the prose's code when the block says less than the prose.

    Exchange writes "4.4.7 expired", which RFC 3463 asks to replace by the code of the
    actual problem ("441 4.4.1 Failed to connect"), and gives that one only in the text.
    """
    given = prefer(block.status, find_status(block.diagnostic))
    if given is not None and given != "4.4.7":
        return block.status
    return prefer(given, find_status(prose)) or block.status


def _is_bounce(message: Message, text: str) -> bool:
    senders = addresses_in(header(message, "From"))
    return bool(message.get("X-Failed-Recipients")) or looks_like_bounce(
        senders[0] if senders else "", header(message, "Subject"), text)


def _from_prose(failures: list[Failure], preamble: str,
                known: str | None) -> list[RecipientReport]:
    if not failures:  # a bounce that names nobody: still a report, matched later by token
        return [judge(None, diagnostic=preamble, known=known)]
    return [judge(f.recipient, diagnostic=f.diagnostic, context=f"{f.context}\n{preamble}",
                  known=known) for f in failures]


def _failures_named_elsewhere(message: Message, text: str) -> list[Failure]:
    named = _named_elsewhere(message)
    # A failed address can also be one the report was mailed to (a reader forwarding to
    # themselves, a test to oneself); the lines after it are still its diagnostic.
    lines, _ = failures_in(text, _ours(message) - {a.lower() for a in named})
    found = {f.recipient.lower(): f for f in lines}
    return [found.get(a.lower(), Failure(a)) for a in named]


def _named_elsewhere(message: Message) -> list[str]:
    listed = [normalize(a) for a in str(message.get("X-Failed-Recipients", "")).split(",")]
    found = [a for a in listed if a]
    return found or _flufl_failures(message)


def _flufl_failures(message: Message) -> list[str]:
    from flufl.bounce import all_failures  # its detectors, as a second opinion

    try:
        temporary, permanent = all_failures(message)
    except Exception:  # a detector tripping over odd input must not lose the report
        log.debug("flufl.bounce failed on a message", exc_info=True)
        return []
    found = [normalize(a.decode("ascii", "replace")) for a in (*permanent, *temporary)]
    return sorted({a for a in found if a})
