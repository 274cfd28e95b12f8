"""Email addresses as reports write them: in angle brackets, after "rfc822;", in prose."""

from __future__ import annotations

import re
from email.utils import getaddresses

__all__ = ["ADDRESS", "addresses_in", "is_mailer", "normalize", "verp_like"]

# Deliberately loose (reports quote addresses in every way), but bounded so a line of garbage
# costs linear time.
ADDRESS = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.\-]{1,64}@"
                     r"[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})+")
_MAILER_LOCALPARTS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "daemon",
                      "mdaemon", "root", "nobody", "bounce", "bounces", "noreply", "no-reply",
                      "mailer_daemon", "post_master"}


def normalize(text: str) -> str | None:
    """One address from a field like "rfc822; <Jane@Example.org>", domain lower-cased."""
    value = text.split(";", 1)[1] if ";" in text else text
    match = ADDRESS.search(value)
    if match is None:
        return None
    local, _, domain = match.group(0).strip(".").rpartition("@")
    return f"{local}@{domain.lower()}" if local else None


def addresses_in(header_value: str) -> list[str]:
    """Every address in a header value, normalized, in order."""
    found = []
    for _, address in getaddresses([header_value]):
        normalized = normalize(address) if address else None
        if normalized:
            found.append(normalized)
    return found


def is_mailer(address: str) -> bool:
    """Whether an address is a mail system's own (MAILER-DAEMON, postmaster)."""
    return address.partition("@")[0].lower() in _MAILER_LOCALPARTS


_VERP = re.compile(r"^[^@+=]+[+=][^@]+@")


def verp_like(address: str) -> bool:
    """An address carrying a token in its local part ("bounces+T0k3n@news.example")."""
    return bool(_VERP.match(address))
