"""What a downloaded body is and how to read it: media types, sniffing and decoding.

Kept apart from `briefing.ingest.fetch` (which decides what to download) because extraction
needs the same decoding rules for HTML that never came over the network.
"""

from __future__ import annotations

import codecs
import re
from email.message import Message


def type_accepted(media_type: str, accepted: tuple[str, ...]) -> bool:
    major = media_type.split("/", 1)[0]
    for pattern in accepted:
        pattern = pattern.strip().lower()
        if pattern in (media_type, "*/*", f"{major}/*"):
            return True
    return False


def split_content_type(value: str | None) -> tuple[str | None, str | None]:
    """'Text/HTML; charset="UTF-8"' → ('text/html', 'UTF-8'); missing → (None, None)."""
    if not value or not value.strip():
        return None, None
    message = Message()
    message["content-type"] = value
    media_type = message.get_content_type().lower()
    if "/" not in value.split(";", 1)[0]:
        # email.Message substitutes text/plain for garbage; don't trust it.
        return None, None
    charset = message.get_param("charset")
    return media_type, (charset.strip() or None) if isinstance(charset, str) else None


_XML_START = re.compile(rb"^\s*<(\?xml|rss|feed|rdf:RDF)\b", re.IGNORECASE)


def sniff_type(body: bytes) -> str:
    """Guess a media type for an answer that did not declare one."""
    head = body[:1024].removeprefix(codecs.BOM_UTF8)
    if _XML_START.match(head):
        return "application/xml"
    if head.lstrip().startswith(b"<"):
        return "text/html"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return "text/plain"
    return "application/octet-stream"


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)

# Browsers (WHATWG Encoding) decode these labels as windows-1252, and real pages
# labelled latin-1 routinely contain cp1252 quotes; do the same.
_CP1252_ALIASES = frozenset({"iso-8859-1", "iso8859-1", "latin-1", "latin1", "us-ascii", "ascii"})

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_body(body: bytes, charset: str | None = None) -> str:
    """Decode HTML/XML/text bytes: BOM, declared charset, in-document declaration, then
    UTF-8, then windows-1252. Undecodable bytes become U+FFFD."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace")
    for label in (charset, _declared_in_document(body)):
        usable = _usable_encoding(label)
        if usable is not None:
            return body.decode(usable, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def _declared_in_document(body: bytes) -> str | None:
    head = body[:4096]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _usable_encoding(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in _CP1252_ALIASES:
        return "cp1252"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A UTF-16 label on a document without a BOM is almost always a lie
    # copied from a template; the bytes we got are ASCII-compatible.
    return None if name.startswith("utf-16") else name
