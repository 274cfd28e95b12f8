"""Reading untrusted mail safely: bounded bytes, bounded nesting, bounded parts.

Anyone can send mail to a bounce address, so the parser must survive a 20 MB message, a
multipart nested ten thousand deep (the stdlib parser recurses once per level and dies with
RecursionError near a thousand) or a hundred thousand empty parts. Everything a report needs —
the delivery-status fields, the human-readable explanation, the returned headers — sits in the
first kilobytes of a real report, so only a prefix is parsed, nesting is checked before the
stdlib parser sees the bytes, and parts are walked iteratively with a budget.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser

from briefing.core.errors import InputError

__all__ = ["Limits", "ReportError", "clean", "content_type", "header", "load", "parts",
           "readable_parts", "text_of"]


class ReportError(InputError):
    """The bytes cannot be read as a mail message within the limits."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 1 << 20        # parsed prefix; the rest of a bigger message is ignored
    max_depth: int = 12             # nested multiparts; real reports use three or four
    max_parts: int = 200            # MIME parts looked at
    max_text: int = 64 * 1024       # characters decoded from one part


DEFAULT_LIMITS = Limits()
_BOUNDARY_PARAM = re.compile(rb"boundary\s*=", re.IGNORECASE)
_DELIMITER_LINE = re.compile(rb"^--", re.MULTILINE)


def load(raw: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[Message, bool]:
    """The message parsed from the first `limits.max_bytes`, and whether it was cut short."""
    if not raw.strip():
        raise ReportError("empty message")
    truncated = len(raw) > limits.max_bytes
    prefix = raw[: limits.max_bytes]
    _refuse_bombs(prefix, limits)
    try:
        message = BytesParser(policy=policy.compat32).parsebytes(prefix)
    except RecursionError:  # nesting the boundary count did not reveal; still refused
        raise ReportError("message nests MIME parts too deeply") from None
    if not message.keys() and not message.get_payload():
        raise ReportError("not a mail message: no header fields")
    return message, truncated


def _refuse_bombs(prefix: bytes, limits: Limits) -> None:
    # Each nesting level needs its own boundary, so the count of boundary parameters bounds
    # the depth the stdlib parser would recurse to; delimiter lines bound the parts.
    if len(_BOUNDARY_PARAM.findall(prefix)) > limits.max_depth * 4:
        raise ReportError("message has too many nested multiparts")
    if len(_DELIMITER_LINE.findall(prefix)) > limits.max_parts * 4:
        raise ReportError("message has too many MIME parts")


def parts(message: Message, limits: Limits = DEFAULT_LIMITS, *,
          into_messages: bool = True) -> Iterator[tuple[int, Message]]:
    """(depth, part) for the message and its parts, depth-first in document order.

    Iterative, with the depth and part budgets of `limits`; `into_messages=False` does not
    look inside attached messages (message/rfc822), whose text is the original's.
    """
    stack: list[tuple[int, Message]] = [(0, message)]
    seen = 0
    while stack and seen < limits.max_parts:
        depth, part = stack.pop()
        seen += 1
        yield depth, part
        if depth >= limits.max_depth or (not into_messages and depth > 0
                                         and part.get_content_maintype() == "message"):
            continue
        children = part.get_payload() if part.is_multipart() else None
        if isinstance(children, list):
            stack.extend((depth + 1, child) for child in reversed(children)
                         if isinstance(child, Message))


def readable_parts(message: Message, limits: Limits = DEFAULT_LIMITS) -> list[Message]:
    """The report's own text parts: not the returned message, not machine-readable parts."""
    found = [part for _, part in parts(message, limits, into_messages=False)
             if content_type(part) in ("text/plain", "text/html")]
    if not found:  # a multipart whose boundary got lost (at any depth) is still readable
        found = [part for _, part in parts(message, limits, into_messages=False)
                 if unsplit(part)]
    return found


_MEDIA_TYPE = re.compile(r"\s*([\w.+-]+/[\w.+-]+)")


def content_type(part: Message) -> str:
    """The part's media type, also when a sloppy server left out the ";" before its
    parameters ("text/plain\\n charset=iso-2022-jp"), which the stdlib keeps verbatim."""
    declared = part.get_content_type()
    match = _MEDIA_TYPE.match(declared)
    return match.group(1).lower() if match else declared


def unsplit(message: Message) -> bool:
    """A multipart whose boundary the parser could not find: its body is one text."""
    return message.get_content_maintype() == "multipart" and isinstance(message.get_payload(), str)


def text_of(part: Message, limits: Limits = DEFAULT_LIMITS) -> str:
    """The decoded text of a non-multipart part, at most `limits.max_text` characters."""
    if part.is_multipart() and not unsplit(part):
        return ""
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding is still text we can try to read
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        payload = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    payload = payload[: limits.max_text * 4]
    return clean(_decode(payload, part.get_content_charset() or "utf-8"))[: limits.max_text]


def _decode(payload: bytes, charset: str) -> str:
    for candidate in (charset, "utf-8"):
        try:
            return payload.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("latin-1")


def header(message: Message, name: str) -> str:
    """A header's value with RFC 2047 words decoded; "" when absent or unreadable."""
    value = message.get(name)
    if value is None:
        return ""
    text = str(value)
    with contextlib.suppress(Exception):  # malformed encoded words: keep the raw text
        text = str(make_header(decode_header(text)))
    return clean(" ".join(text.split()))


_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|[\ud800-\udfff]")


def clean(text: str) -> str:
    """Text safe to print and store: no control characters, no lone surrogates."""
    return _UNPRINTABLE.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n"))
