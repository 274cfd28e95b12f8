"""RFC 3463 enhanced status codes: finding them in text and what each one says.

Reason names follow sisimai's taxonomy (userunknown, mailboxfull, blocked, …), the vocabulary
bounce processors share, so a report read here can be compared with theirs. A report with no
status code of its own gets sisimai's convention for one: class, then ".0.9xx" naming the
reason (5.0.911 is "user unknown, no code given"), which keeps the class — permanent or
temporary — and says the detail is ours, not the remote server's.
"""

from __future__ import annotations

import re

__all__ = ["find_status", "is_specific", "pseudo_status", "reason_of_status"]

# "#5.1.1" (qmail, Exchange), "550-5.1.1" / "550 5.1.1" (an SMTP reply), a bare "5.1.1".
_IN_PARENS = re.compile(r"[(\[<]#?([245]\.\d{1,3}\.\d{1,3})[)\]>]|#([245]\.\d{1,3}\.\d{1,3})\b")
_AFTER_REPLY = re.compile(r"\b[245]\d\d[- ]#?([245]\.\d{1,3}\.\d{1,3})\b")
_BARE = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.]*\d)")


def find_status(text: str) -> str | None:
    """The enhanced status code an SMTP reply or diagnostic text carries, if any."""
    for pattern in (_AFTER_REPLY, _IN_PARENS, _BARE):
        match = pattern.search(text)
        if match:
            code = next(group for group in match.groups() if group)
            if _plausible(code):
                return code
    return None


def _plausible(code: str) -> bool:
    klass, subject, detail = (int(n) for n in code.split("."))
    # IP addresses and version numbers look like codes; real subjects are 0-7.
    return subject <= 7 and detail <= 999 and (klass != 2 or subject <= 7)


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
    "authfailure": 970, "badreputation": 971, "requireptr": 971, "notcompliantrfc": 960,
    "speeding": 945,
}


def pseudo_status(reason: str, permanent: bool) -> str | None:
    """sisimai's stand-in code for a failure that came without one ("5.0.911")."""
    detail = _PSEUDO_DETAIL.get(reason)
    if detail is None:
        return None
    return f"{5 if permanent else 4}.0.{detail}"
