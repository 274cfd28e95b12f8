"""RFC 3463 enhanced status codes: finding them in text and what each one says.

Reason names follow sisimai's taxonomy (userunknown, mailboxfull, blocked, …), the vocabulary
bounce processors share, so a report read here can be compared with theirs. A report with no
status code of its own gets sisimai's convention for one: class, then ".0.9xx" naming the
reason (5.0.911 is "user unknown, no code given"), which keeps the class — permanent or
temporary — and says the detail is ours, not the remote server's. Which code a report stands
for when it carries several (a Status field, codes in the server's answer) follows sisimai's
rules too (`find_status`, `prefer`), so the codes compare one to one.
"""

from __future__ import annotations

import re

__all__ = ["find_reply_code", "find_status", "is_specific", "names_address", "prefer",
           "pseudo_status", "reason_of_status", "vague"]

# An enhanced code stands alone: not inside an IP address or a version number ("v5.1.1"),
# its subject is one digit 0-7 and its detail one to three digits.
_CODE = re.compile(r"(?<![\d./vV])([245]\.[0-7]\.\d{1,3})(?![\d]|\.\d)")
_REPLY = re.compile(r"(?<![\d.\-])([245])\d\d(?=[ \-:,;]|$)", re.MULTILINE)


def find_status(text: str) -> str | None:
    """The enhanced status code a diagnostic text stands for, if it has any.

    Servers often quote several ("554 4.4.7 expired <421 4.4.2 timed out>"). As sisimai does,
    the codes that say least — a class with no detail (X.0.0) and "delivery time expired"
    (4.4.7, which RFC 3463 asks to replace by the code of the actual problem) — count only
    when nothing more precise is there; the rest are weighed in order by `prefer`.
    """
    found = _CODE.findall(text)
    precise = [code for code in found if not vague(code)]
    loose = [code for code in found if vague(code)]
    chosen: str | None = None
    for code in precise + loose[-1:]:
        chosen = code if chosen is None else prefer(chosen, code)
    return chosen


def find_reply_code(text: str) -> str | None:
    """The three-digit SMTP reply code ("550") a diagnostic text carries, if any."""
    match = _REPLY.search(text)
    return match.group(0) if match else None


def vague(code: str) -> bool:
    """Whether a code says little: only its class (X.0.0), or only "delivery time expired"."""
    return code.endswith(".0.0") or code == "4.4.7"


def prefer(field: str | None, in_text: str | None, reply: str | None = None) -> str | None:
    """Which of two codes for one failure to believe: a Status field and one in the text.

    The Status field wins unless it says less: when the two disagree on the class, the one
    the SMTP reply code agrees with; a field that names only its class, or only a subject,
    or a code servers use loosely (4.4.7 expired, 4.7.0, 5.3.x, the protocol codes X.5.x)
    yields to the text's; 5.1.1 yields to a more specific text code that is not a protocol
    one; 5.1.3 (bad syntax) to a policy one (5.7.x).
    """
    if not field or not in_text:
        return field or in_text
    if reply and field[0] != in_text[0] and reply[0] in (field[0], in_text[0]):
        return field if reply[0] == field[0] else in_text
    if field == in_text:
        return field
    if field.endswith(".0.0"):
        return field if in_text.endswith(".0.0") else in_text
    if ".0" in field and ".0" not in in_text:
        return in_text
    if in_text.endswith(".0.0"):
        return field
    if field in ("4.4.7", "4.7.0") or field.startswith("5.3.") or field[1:4] in _PROTOCOL:
        return in_text
    if field == "5.1.1":
        return field if ".0" in in_text or in_text.startswith("5.5.") else in_text
    if field == "5.1.3" and in_text.startswith("5.7."):
        return in_text
    return field


# Invalid command, syntax error, bad arguments, wrong version: how, not why, it failed.
_PROTOCOL = (".5.1", ".5.2", ".5.4", ".5.5")


def is_specific(code: str | None) -> bool:
    """Whether the code says more than its class ("5.0.0" says only "failed")."""
    return code is not None and not code.endswith(".0.0") and ".0.9" not in code


# What a code's subject and detail say, in sisimai's reason names (the class is read apart).
_BY_DETAIL = {
    "1.0": "userunknown", "1.1": "userunknown", "1.2": "hostunknown", "1.3": "userunknown",
    "1.4": "filtered", "1.6": "hasmoved", "1.7": "rejected", "1.8": "rejected",
    "1.9": "systemerror", "1.10": "notaccept",
    "2.0": "filtered", "2.1": "filtered", "2.2": "mailboxfull", "2.3": "exceedlimit",
    "2.4": "filtered",
    "3.0": "systemerror", "3.1": "systemfull", "3.2": "notaccept", "3.3": "systemerror",
    "3.4": "mesgtoobig", "3.5": "systemerror",
    "4.0": "networkerror", "4.1": "expired", "4.2": "networkerror", "4.3": "systemerror",
    "4.4": "hostunknown", "4.5": "toomanyconn", "4.6": "networkerror", "4.7": "expired",
    "5.3": "toomanyconn", "5.4": "systemerror", "5.5": "systemerror", "5.6": "securityerror",
    "6.0": "contenterror", "6.1": "contenterror", "6.2": "contenterror", "6.3": "contenterror",
    "6.5": "contenterror", "6.6": "contenterror", "6.7": "contenterror", "6.8": "contenterror",
    "6.9": "contenterror",
    "7.0": "securityerror", "7.1": "blocked", "7.2": "blocked", "7.3": "securityerror",
    "7.4": "securityerror", "7.5": "securityerror", "7.6": "securityerror",
    "7.7": "securityerror", "7.8": "securityerror", "7.9": "securityerror",
    "7.10": "securityerror", "7.11": "securityerror", "7.13": "suspend",
    "7.14": "securityerror", "7.15": "securityerror", "7.16": "mesgtoobig",
    "7.17": "hasmoved", "7.18": "hasmoved", "7.19": "securityerror", "7.20": "authfailure",
    "7.21": "authfailure", "7.22": "authfailure", "7.23": "authfailure",
    "7.24": "authfailure", "7.25": "requireptr", "7.26": "authfailure", "7.27": "notaccept",
}


def names_address(code: str | None) -> bool:
    """Whether the code is one of RFC 3463's X.1.x ones, about the recipient's address.

    Vendors extend the detail past the registry (Exchange's "5.1.351"); those say nothing
    RFC 3463 defines, so they do not show that the address itself was refused.
    """
    if code is None:
        return False
    _, _, rest = code.partition(".")
    return rest.startswith("1.") and rest in _BY_DETAIL


# In a temporary (4.x.x) failure some subjects mean something milder than in a permanent one.
_TEMPORARY_DETAIL = {"4.4": "networkerror", "1.1": "userunknown", "2.1": "suspend"}


def reason_of_status(code: str | None) -> str | None:
    """The reason a specific status code names; None for generic or unknown codes."""
    if code is None:
        return None
    klass, _, rest = code.partition(".")
    if klass == "2":
        return "delivered"
    if klass == "4" and rest in _TEMPORARY_DETAIL:
        return _TEMPORARY_DETAIL[rest]
    return _BY_DETAIL.get(rest)


_PSEUDO_DETAIL = {
    "blocked": 971, "contenterror": 960, "exceedlimit": 923, "expired": 947, "filtered": 910,
    "hasmoved": 916, "hostunknown": 912, "mailboxfull": 922, "mailererror": 939,
    "mesgtoobig": 934, "networkerror": 944, "norelaying": 909, "notaccept": 932, "onhold": 901,
    "rejected": 918, "securityerror": 970, "spamdetected": 980, "suspend": 921,
    "systemerror": 930, "systemfull": 931, "syntaxerror": 902, "toomanyconn": 945,
    "userunknown": 911, "undefined": 900, "virusdetected": 981, "policyviolation": 972,
    "authfailure": 926, "badreputation": 975, "requireptr": 973, "notcompliantrfc": 974,
    "speeding": 946, "suppressed": 903,
}
# The temporary variants sisimai gives differently; a dead address or domain has none, so
# it keeps the permanent code even when the report called it temporary.
_TEMPORARY_PSEUDO = {"filtered": 924}
_ONLY_PERMANENT = frozenset({"userunknown", "hostunknown", "hasmoved", "syntaxerror"})


def pseudo_status(reason: str, permanent: bool) -> str | None:
    """sisimai's stand-in code for a failure that came without one ("5.0.911")."""
    detail = _PSEUDO_DETAIL.get(reason)
    if detail is None:
        return None
    if permanent or reason in _ONLY_PERMANENT:
        return f"5.0.{detail}"
    return f"4.0.{_TEMPORARY_PSEUDO.get(reason, detail)}"
