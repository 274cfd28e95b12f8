"""RFC 3464 delivery status notifications: the per-recipient fields of the status part.

The status part is a list of header blocks: one about the message, then one per recipient.
The stdlib parses it into Message objects when it is well formed; when it is not (a base64
transfer encoding, one block with everything, RFC 6533's global variant) the fields are read
from its text, which works for both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from email.message import Message

from briefing.feedback.addressing import normalize
from briefing.feedback.mime import Limits, clean, parts, text_of, unsplit

__all__ = ["StatusBlock", "status_blocks"]

STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status",
                "text/delivery-status")


@dataclass(frozen=True)
class StatusBlock:
    recipient: str | None
    action: str
    status: str | None
    diagnostic: str
    standard: bool = True   # inside a multipart/report, as RFC 3464 has it


def status_blocks(message: Message, limits: Limits) -> list[StatusBlock]:
    """Every recipient block of every delivery-status part, in order."""
    blocks: list[StatusBlock] = []
    for _, part in parts(message, limits):
        if part.get_content_type() in STATUS_TYPES:
            blocks += [b for b in map(_block, _field_blocks(part, limits)) if b is not None]
    if blocks and not any(p.get_content_type() == "multipart/report"
                          for _, p in parts(message, limits)):
        blocks = [replace(b, standard=False) for b in blocks]
    if not blocks and unsplit(message) and "delivery-status" in message.get_content_type() \
            + str(message.get("Content-Type", "")):
        # The boundary was unreadable; the status fields are still in the text.
        found = map(_block, _parse_fields(text_of(message, limits)))
        blocks = [b for b in found if b is not None and b.recipient and b.action]
    return blocks or _swallowed_blocks(message, limits)


# A status part's own header line, found inside the text part before it.
_SWALLOWED = re.compile(r"^content-type:\s*(?:message|text)/(?:global-)?delivery-status\b.*$",
                        re.IGNORECASE | re.MULTILINE)
_NEXT_BOUNDARY = re.compile(r"^\s*--\S", re.MULTILINE)


def _swallowed_blocks(message: Message, limits: Limits) -> list[StatusBlock]:
    """Status fields a text part swallowed because the boundary before them was indented.

    A boundary line with a leading space is no boundary, so the parser keeps the status part,
    its Content-Type line included, as text of the part before it; the fields are still there.
    """
    if message.get_content_type() != "multipart/report":
        return []
    for _, part in parts(message, limits):
        if part.get_content_maintype() != "text":
            continue
        start = _SWALLOWED.search(text_of(part, limits))
        if start is None:
            continue
        rest = text_of(part, limits)[start.end():]
        end = _NEXT_BOUNDARY.search(rest)
        found = map(_block, _parse_fields(rest[:end.start()] if end else rest))
        return [b for b in found if b is not None and b.recipient and b.action]
    return []


def _field_blocks(part: Message, limits: Limits) -> list[dict[str, str]]:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and all(isinstance(p, Message) for p in payload):
        return [{k.lower(): clean(" ".join(str(v).split())) for k, v in block.items()}
                for block in payload if isinstance(block, Message)]
    return _parse_fields(text_of(part, limits))


_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)\s*:\s*(.*)$")


def _parse_fields(text: str) -> list[dict[str, str]]:
    blocks: list[dict[str, str]] = [{}]
    last = ""
    for line in text.split("\n"):
        if not line.strip():
            blocks.append({})
            continue
        match = _FIELD.match(line)
        if match and not line[0].isspace():
            last = match.group(1).lower()
            # A field seen again in the same block starts a new recipient (no blank line).
            if last in blocks[-1] and last in ("final-recipient", "original-recipient"):
                blocks.append({})
            blocks[-1][last] = match.group(2).strip()
        elif last and last in blocks[-1]:
            blocks[-1][last] += " " + line.strip()
    return [b for b in blocks if b]


def _block(fields: dict[str, str]) -> StatusBlock | None:
    if not any(f in fields for f in ("final-recipient", "original-recipient", "action")):
        return None
    if "action" not in fields and "status" not in fields and "diagnostic-code" not in fields:
        return None
    recipient = _recipient(fields)
    diagnostic = fields.get("diagnostic-code", "")
    diagnostic = diagnostic.split(";", 1)[1].strip() if ";" in diagnostic[:12] else diagnostic
    status = fields.get("status", "").split()[0] if fields.get("status", "").strip() else None
    return StatusBlock(recipient, fields.get("action", "").strip().lower(), status, diagnostic)


def _recipient(fields: dict[str, str]) -> str | None:
    # The original recipient is the address we gave; the final one may be after forwarding.
    for name in ("original-recipient", "final-recipient", "x-actual-recipient"):
        value = fields.get(name, "")
        if value and not value.lower().endswith("unknown"):
            address = normalize(value)
            if address:
                return address
    return None
