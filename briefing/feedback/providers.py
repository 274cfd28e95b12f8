"""What some large providers' own refusals mean, beyond the words they are written in.

A few providers answer with their own reference codes or with one fixed notice in the
sender's language; the generic phrase tables cannot read those, but the codes and the
notice's layout are documented and stable, so each is read here once for all its wordings.
"""

from __future__ import annotations

import re
from email.message import Message

__all__ = ["notice_reason", "provider_code_reason"]

# Orange / Wanadoo / La Poste (France): "OFR_416", "OFR004_405 [405]", "LPN007_416" — the last
# three digits are the reason, as the Orange postmaster pages list them.
_ORANGE_LABEL = re.compile(r"\b(?:OFR|LPN|OUK)(?:[A-Z]{3}|\d{3})?_?(\d{3})\b", re.IGNORECASE)
_ORANGE_CODES = {
    "blocked": ("101", "102", "103", "510", "999"),  # the sending IP or its reputation
    "toomanyconn": ("104",),
    "securityerror": ("305", "402"),                  # authentication required or invalid
    "authfailure": ("401", "517"),                    # SPF, DMARC
    "rejected": ("403", "405", "415", "421"),         # the sender address
    "userunknown": ("416",),
    "mailboxfull": ("417",),
    "suspend": ("420", "426"),                        # archived or blocked mailbox
    "systemerror": ("505",),
    "spamdetected": ("506",),
    "mesgtoobig": ("514",),
    "policyviolation": ("630",),
}
_ORANGE_REASON = {code: reason for reason, codes in _ORANGE_CODES.items() for code in codes}


# Exchange 5.5 / 2000 / 2003's Internet Mail Service ends its notice with "MSEXCH:IMS:<org>:
# <site>:<server> 0 (000C05A6) Unknown Recipient": the bracketed code is the verdict, the
# prose before it ("The recipient name is not recognized") only its paraphrase.
_MSEXCH_CODE = re.compile(r"MSEXCH:[^()\n]{0,200}\(([0-9A-F]{8})\)", re.IGNORECASE)
_MSEXCH_REASON = {
    "000C05A6": "userunknown",    # unknown recipient
    "000C0595": "filtered",       # ambiguous recipient: the directory matched several
    "00010256": "systemerror",    # too many recipients
    "000D06B5": "systemerror",    # no proxy address for the recipient
    "00120270": "networkerror",   # too many hops: a routing loop
    "00050311": "contenterror",   # conversion to Internet format failed
    "000502CC": "contenterror",
    "000B0981": "securityerror",  # the server does not support AUTH
}


def provider_code_reason(diagnostic: str) -> str | None:
    """The reason a provider's own reference code in a refusal stands for, if it has one."""
    label = _ORANGE_LABEL.search(diagnostic)
    if label:
        return _ORANGE_REASON.get(label.group(1))
    exchange = _MSEXCH_CODE.search(diagnostic)
    return _MSEXCH_REASON.get(exchange.group(1).upper()) if exchange else None


# Google Groups refuses a post with one notice, translated into the poster's language: the
# group may not exist or the poster may not post to it, followed by four bulleted causes.
_BULLET = re.compile(r"^\s?\*\s", re.MULTILINE)


def notice_reason(message: Message, text: str) -> str | None:
    """The reason a provider's fixed non-delivery notice gives, whatever its language."""
    if "groups.google.com" in text and message.get("X-Failed-Recipients") \
            and len(_BULLET.findall(text)) >= 4:
        return "rejected"  # about the poster, not the group's address
    return None
