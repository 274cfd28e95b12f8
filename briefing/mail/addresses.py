"""Email addresses: validated and normalized once, compared case-insensitively."""

from __future__ import annotations

from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from briefing.core.errors import InputError

MAX_NAME_CHARS = 200         # a list's name or a sender's display name (set by the operator)
# A reader's name is a greeting, not a message: short enough that nobody can fit a phishing
# pitch into it, long enough for any real name.
MAX_PERSON_NAME_CHARS = 100


@dataclass(frozen=True)
class Address:
    email: str   # normalized for display and sending (Unicode domain kept)
    key: str     # what makes two addresses the same person: case-folded

    def __str__(self) -> str:
        return self.email


def parse_address(raw: str) -> Address:
    """Validate syntax only: no DNS look-ups (offline, fast, and no probing of domains)."""
    text = (raw or "").strip()
    if not text:
        raise InputError("email address is empty")
    if len(text) > 320 or any(ch in text for ch in "\r\n\x00"):
        raise InputError("email address is not valid")
    try:
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise InputError(f"{text[:80]!r} is not a valid email address: {exc}") from None
    return Address(email=checked.normalized, key=checked.normalized.casefold())


def ascii_domain(email: str) -> str:
    """The address's domain as DNS spells it (IDNA: `bücher.example` → `xn--bcher-kva.example`),
    or "" when the address is not valid."""
    try:
        return str(validate_email(email, check_deliverability=False,
                                  allow_smtputf8=True).ascii_domain)
    except EmailNotValidError:
        return ""


def clean_name(raw: str | None, *, limit: int = MAX_NAME_CHARS) -> str:
    """A display name fit for a header and a greeting: one line, bounded, no controls."""
    if not raw:
        return ""
    # Line breaks and tabs become spaces; other invisible controls are dropped.
    spaced = "".join(" " if ch.isspace() else ch for ch in raw)
    one_line = " ".join("".join(ch for ch in spaced if ch.isprintable()).split())
    if len(one_line) > limit:
        raise InputError(f"name is longer than {limit} characters")
    return one_line


def person_name(raw: str | None) -> str:
    """A reader's name, from whichever door it came in (form, API, import, CLI, preferences):
    the one rule for all of them."""
    return clean_name(raw, limit=MAX_PERSON_NAME_CHARS)
