"""Why a delivery failed, read from the words of the diagnostic.

A status code alone is often generic ("5.0.0") or wrong (servers answer 550 5.1.1 for a
blocked sender), while the words around it ("mailbox full", "listed at Spamhaus", "User
unknown") are what people and other bounce processors go by. The phrases are the well-known
wording of the common mail servers, grouped by sisimai's reason names; the first group that
matches wins, so the order runs from the most specific ("quota exceeded") to the loosest.

Two tables: the strong phrases decide before the status code does; the loose words
("rejected", "filter", "policy"), which also turn up in other contexts ("Recipient address
rejected: Media error"), are asked only when neither the phrases nor the code decide.
"""

from __future__ import annotations

import re

__all__ = ["reason_from_text"]


def _any(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in phrases), re.IGNORECASE)


_WHO = r"(?:mailbox|address|recipient|account|user|e-?mail account|e-?mail address)"

_PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("mailboxfull", _any(
        r"mailbox (?:is )?full", r"mail ?box (?:\S+ )?(?:is )?(?:over|exceed)", r"over ?quota",
        r"quota (?:exceeded|full|violation)",
        r"exceeded (?:the |their |his |her )?(?:storage|quota)",
        r"(?:user|recipient|mailbox)(?:'s)? .{0,40}(?:is )?(?:full|over (?:the )?quota)",
        r"insufficient (?:disk )?space", r"not enough (?:storage|space)", r"disk quota",
        r"mailfolder is full", r"account is full", r"storage (?:limit|quota)",
        r"too many messages (?:in|on) (?:the )?mailbox", r"inbox is full",
        r"exceeds? (?:the )?(?:mailbox|storage) (?:size|quota)",
    )),
    ("mesgtoobig", _any(
        r"message (?:is )?too (?:big|large)", r"message size exceeds",
        r"(?:size|length) (?:of (?:the )?message )?exceeds (?:the )?(?:fixed |maximum |message )?"
        r"(?:size |allowed |message )?(?:limit|maximum)",
        r"message (?:exceeds|is larger than) (?:the )?(?:fixed |local |maximum )?(?:size|limit)",
        r"exceeded maximum (?:allowed )?size", r"mail size limit",
    )),
    ("exceedlimit", _any(r"exceeds? (?:the )?(?:administrative|per-mailbox) limit",
                         r"message length exceeds")),
    ("suspend", _any(
        r"(?:account|mailbox|user|address) (?:has been |is |was )?(?:temporarily )?"
        r"(?:disabled|suspended|inactive|deactivated|locked|frozen)",
        r"(?:disabled|suspended|inactive|deactivated) (?:e-?mail )?(?:account|mailbox|user)",
        r"not an active (?:account|user)", r"account (?:is )?(?:on hold|closed)",
        r"recipient (?:is |was )?suspended", r"invalid/inactive user",
    )),
    ("hasmoved", _any(r"has (?:been )?moved", r"address (?:has )?changed",
                      r"no longer (?:at|with) ", r"new (?:e-?mail )?address is")),
    ("norelaying", _any(r"relay(?:ing)? (?:access )?(?:denied|not (?:permitted|allowed))",
                        r"not (?:permitted|allowed|authorized) to relay", r"unable to relay",
                        r"relaying (?:mail )?(?:to .+ )?(?:is )?(?:not|denied|prohibited)",
                        r"we do not relay", r"no relaying", r"cannot relay")),
    ("authfailure", _any(r"\bSPF\b", r"\bDKIM\b", r"\bDMARC\b", r"sender policy framework",
                         r"authentication (?:results|checks?) fail", r"not authenticated")),
    ("requireptr", _any(r"reverse (?:dns|lookup|hostname)", r"\bPTR\b", r"\brdns\b",
                        r"cannot find your hostname",
                        r"(?:client|ip) (?:host|address) .{0,30}(?:has no|without) "
                        r"(?:reverse|ptr)")),
    ("notcompliantrfc", _any(r"\bRFC ?(?:2822|5322|822)\b", r"not (?:rfc[- ]?)?compliant",
                             r"duplicate header", r"multiple (?:from|to|subject|date) header",
                             r"invalid header", r"header (?:is )?(?:missing|malformed)")),
    ("badreputation", _any(r"reputation", r"sender score")),
    ("virusdetected", _any(r"\bvirus", r"malware", r"infected", r"\bworm\b")),
    ("spamdetected", _any(r"\bspam(?!haus|cop)", r"junk mail", r"content filter", r"bulk mail",
                          r"unsolicited")),
    ("speeding", _any(r"rate limit", r"sending rate", r"too (?:fast|quickly)", r"slow down",
                      r"throttl")),
    ("toomanyconn", _any(r"too many (?:connections|concurrent|sessions|simultaneous)",
                         r"connection (?:limit|count) exceeded", r"too many recipients")),
    ("blocked", _any(
        r"black ?list", r"block ?list", r"deny ?list", r"\bRBL\b", r"\bDNSBL\b", r"spamhaus",
        r"spamcop", r"listed (?:at|in|on|by) ", r"client host .{0,60}(?:rejected|refused|blocked)",
        r"your (?:ip|host|server|network) (?:address )?(?:has been |is |was )?(?:\S+ )?"
        r"(?:blocked|banned|rejected|refused)",
        r"connection (?:refused|rejected) (?:by|from)", r"banned", r"not allowed to send",
        r"refused to talk", r"dynamic ip", r"residential", r"invalid ip",
        r"\bip (?:address )?(?:is )?(?:not allowed|not authorized|rejected)",
    )),
    ("rejected", _any(r"sender (?:address )?(?:rejected|refused|denied|unknown|verify failed)",
                      r"(?:domain|address) of sender", r"sender domain", r"bad sender",
                      r"envelope sender", r"mail from .{0,40}(?:rejected|refused)",
                      r"unknown sender", r"not allowed to post", r"not a member",
                      r"(?:not have|no) permission to post",
                      r"sender (?:is )?not (?:allowed|authorized|permitted)")),
    ("userunknown", _any(
        r"user(?:name)? (?:is )?(?:unknown|not (?:found|known|exist|listed|valid))",
        r"unknown (?:local[- ]?part|user|recipient|mailbox|address|account|e-?mail)",
        r"no such (?:user|mailbox|recipient|address|account|person|local user|e-?mail)",
        _WHO + r"(?: name)? (?:\S+ )?(?:does not|doesn't|did not|not) exist",
        r"(?:mailbox|recipient|address|user|account) (?:is )?(?:not found|unknown|invalid|"
        r"unavailable|not valid|not available|not known|not recognized)",
        r"invalid (?:recipient|mailbox|address|user|account|e-?mail)",
        r"not a valid (?:user|recipient|mailbox|address)", r"no mailbox",
        r"recipient not (?:found|known|recognized|recognised|accepted)",
        r"(?:unknown|bad|invalid) destination (?:mailbox|address)",
        r"destination (?:mailbox )?address (?:invalid|rejected)",
        r"not our customer", r"undeliverable address", r"unrouteable address",
        r"addressee unknown", r"recipient (?:name )?is not recognized",
        r"unknown or illegal alias", r"user not local", r"no account by that name",
        r"is not a known user", r"unknown in (?:virtual|local|relay) ",
        r"invalid (?:final delivery )?user ?id",
        r"check (?:if |that |whether )?(?:the )?(?:e-?mail |recipient'?s? )?address is correct",
    )),
    ("hostunknown", _any(
        r"host (?:or domain name )?(?:not found|unknown)", r"unknown host",
        r"domain (?:name )?(?:not found|does not exist|unknown|not exist|is invalid|invalid)",
        r"no such (?:domain|host)", r"unrouteable (?:mail )?domain", r"name service error",
        r"name or service not known", r"(?:dns|mx) (?:lookup )?(?:failure|failed|error)",
        r"no (?:mx|mail exchanger|valid mx)", r"nxdomain", r"unknown domain",
        r"invalid domain", r"non-?existent domain", r"could not resolve",
        r"domain .{0,40}not (?:valid|exist)", r"illegal host/domain",
        r"bad destination (?:host|system)", r"unable to find mx",
    )),
    ("notaccept", _any(r"does not accept (?:any )?(?:e-?)?mail", r"null mx",
                       r"not accepting (?:any )?(?:network )?(?:messages|mail)",
                       r"accepts no mail", r"indicated no smtp service")),
    ("syntaxerror", _any(r"syntax error", r"command (?:not )?(?:recognized|unrecognized)",
                         r"bad sequence of commands", r"unknown command")),
    ("expired", _any(r"expired", r"retry (?:time|timeout)", r"too long in (?:the )?queue",
                     r"could not be delivered (?:with|for|in) ", r"delivery time",
                     r"undeliverable for", r"deferred for", r"no answer from",
                     r"queue lifetime", r"has not been able to deliver",
                     r"unable to deliver .{0,40}days",
                     r"(?:failed|after) \d+ (?:delivery )?attempts")),
    ("networkerror", _any(r"connection (?:refused|reset|timed out|lost|closed|dropped)",
                          r"routing loop", r"mail loop", r"too many hops", r"no route to host",
                          r"unreachable", r"lost connection", r"could not connect",
                          r"unable to connect", r"connect to .{0,60}failed")),
    ("systemfull", _any(r"system (?:storage|disk) (?:is )?full", r"insufficient system storage",
                        r"mail system full")),
    ("mailererror", _any(r"mailer error", r"command (?:died|failed)", r"\bprocmail\b",
                         r"pipe to", r"exit (?:code|status)", r"mail program", r"mailer=")),
    ("systemerror", _any(r"system error", r"configuration error", r"internal (?:server )?error",
                         r"local error", r"temporary (?:failure|error|problem)",
                         r"server (?:is )?(?:busy|unavailable)", r"service (?:is )?unavailable",
                         r"too many (?:hops|received)", r"misconfigur", r"try again later")),
)

_LOOSE: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("userunknown", _any(r"address rejected", r"could not be found", r"no (?:valid )?recipients?",
                         r"not listed in")),
    ("filtered", _any(r"filter(?:ed)?", r"refused by (?:the )?recipient",
                      r"recipient .{0,30}(?:refuses|does not want|not accept)",
                      r"mailbox (?:is )?(?:disabled|not accepting)", r"message refused")),
    ("spamdetected", _any(r"suspicious", r"classified as")),
    ("blocked", _any(r"\bblocked\b", r"access denied")),
    ("policyviolation", _any(r"polic(?:y|ies)", r"prohibited", r"not permitted", r"violat")),
    ("expired", _any(r"gave up", r"giving up", r"time(?:d)? ?out", r"delayed")),
    ("networkerror", _any(r"network")),
    ("securityerror", _any(r"authentication (?:required|failed)", r"\btls\b", r"starttls",
                           r"encryption", r"certificate", r"security")),
    ("contenterror", _any(r"content", r"\bmime\b", r"attachment", r"media type", r"8bit",
                          r"encoding", r"invalid character")),
    ("rejected", _any(r"\brejected\b", r"refused", r"denied")),
)


def reason_from_text(text: str, *, loose: bool = False) -> str | None:
    """The first reason whose phrases occur in `text`, or None; `loose` asks the weak words."""
    if not text:
        return None
    for reason, pattern in _LOOSE if loose else _PHRASES:
        if pattern.search(text):
            return reason
    return None
