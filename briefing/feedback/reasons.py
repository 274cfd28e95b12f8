"""Why a delivery failed, read from the words of the diagnostic.

A status code alone is often generic ("5.0.0") or wrong (servers answer 550 5.1.1 for a
blocked sender), while the words around it ("mailbox full", "listed at Spamhaus", "User
unknown") are what people and other bounce processors go by. The phrases are the well-known
wording of the common mail servers, grouped by sisimai's reason names; the first group that
matches wins, so the order runs from the most specific ("quota exceeded") to the loosest.

Two tables: the strong phrases decide before the status code does — except those about the
path, the server or the session (AFTER_CODE), which sisimai, too, asks only when the code is
vague; the loose words ("rejected", "filter", "policy"), which also turn up in other contexts
("Recipient address rejected: Media error"), are asked only when neither the phrases nor the
code decide. The tables cover the vocabulary of sisimai's reason lists (its wording, written
here as our own patterns) and keep its order where two reasons share words: the sender before
blocklists and spam, a full mailbox before everything.
"""

from __future__ import annotations

import re

__all__ = ["AFTER_CODE", "MAX_TEXT", "reason_from_text"]

# A server's answer and the notice around it fit in a few kilobytes; reading at most this much
# keeps a hostile megabyte of text from costing seconds in the phrase tables.
MAX_TEXT = 16 * 1024


def _any(*phrases: str) -> re.Pattern[str]:
    # Every repeat is bounded ({1,254}, not +): the text is anyone's, and an unbounded run
    # before a literal costs time squared on a line of 60,000 "<".
    return re.compile("|".join(f"(?:{p})" for p in phrases), re.IGNORECASE)


_WHO = r"(?:mailbox|address|recipient|account|user|e-?mail account|e-?mail address)"

_PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("mailboxfull", _any(
        r"mailbox (?:is )?full", r"mail ?box (?:\S{1,64} )?(?:is )?(?:over|exceed)", r"over ?quota",
        r"(?<!message )quota (?:exceeded|full|violation)",
        r"(?:mailbox|maildir|account is \S{1,64}) quota",
        r"exceeded (?:the |their |his |her )?(?:storage|quota)",
        r"(?:user|recipient|mailbox)(?:'s)? .{0,40}(?:is )?(?:full|over (?:the )?quota)",
        r"(?:insufficient|not sufficient|not enough) (?:disk |storage )?space", r"disk quota",
        r"mailfolder is full", r"account is full", r"storage (?:limit|quota|allocation)",
        r"too many messages (?:in|on) (?:the )?(?:mailbox|server)", r"inbox is full",
        r"exceeds? (?:the )?(?:mailbox|storage) (?:size|quota)", r"full mailbox",
        r"mailbox (?:size limit|would exceed|exceeds allowed size)", r"no space left",
        r"space has been used up", r"too much mail data", r"exceeding receiving limits",
        r"boite du destinataire pleine",
    )),
    # Malformed headers and MIME before the sizes: "header size exceeds the maximum" is this.
    ("contenterror", _any(r"header size exceeds", r"8-bit data in (?:the )?message header",
                          r"header size, or recipient list", r"mime complexity",
                          r"too many received:? headers", r"invalid mime headers?",
                          r"improperly-formatted binary content", r"unnecessary base64")),
    ("mesgtoobig", _any(
        r"message (?:is )?too (?:big|large)", r"message size exceeds", r"message file too big",
        r"(?:inbound|incoming) message size", r"line limit exceeded", r"\bsize limit",
        r"max(?:imum)? message size", r"taille limite du message",
        r"(?:size|length) (?:of (?:the )?message )?exceeds (?:the )?(?:fixed |maximum |message )?"
        r"(?:size |allowed |message )?(?:limit|maximum)",
        r"message (?:exceeds|is larger than) (?:the )?(?:fixed |local |maximum )?(?:size|limit)",
        r"exceeded maximum (?:allowed )?size", r"mail size limit",
    )),
    ("exceedlimit", _any(r"exceeds? (?:the )?(?:administrative|per-mailbox) limit",
                         r"message length exceeds")),
    ("suspend", _any(
        r"(?:account|user|address) (?:has been |is |was )?(?:currently |temporarily )?"
        r"(?:disabled|suspended|inactive|deactivated|locked|frozen)",
        r"mailbox (?:has been |is |was )?(?:currently |temporarily )?"
        r"(?:disabled|suspended|deactivated|locked|frozen)",
        r"(?:disabled|suspended|inactive|deactivated) (?:e-?mail )?(?:account|mailbox|user)",
        r"not an active (?:account|user)", r"account (?:is )?(?:on hold|closed)",
        r"recipient (?:is |was )?suspended", r"invalid/inactive user", r"has been suspended",
        r"is currently suspended", r"temporar(?:y|ily) (?:locked|inactive)",
        r"archived recipient", r"destinataire archivee", r"user is terminated",
        r"account that you tried to reach is (?:disabled|inactive)",
        r"mailbox unavailable or access denied", r"suspend the service",
        r"no longer accepts mail", r"(?:user|domain) is disabled",
        r"disabled or discontinued",
    )),
    ("hasmoved", _any(r"has (?:been )?moved", r"address (?:has )?changed",
                      r"no longer (?:at|with) ", r"new (?:e-?mail )?address is",
                      r"has been replaced by")),
    ("norelaying", _any(r"relay(?:ing)? (?:access )?(?:denied|not (?:permitted|allowed))",
                        r"not (?:permitted|allowed|authorized) to relay", r"unable to relay",
                        r"relaying (?:mail )?(?:to .{1,200}? )?(?:is )?(?:not|denied|prohibited)",
                        r"we do not relay", r"no relaying", r"cannot relay", r"as a relay",
                        r"not an open relay", r"not a gateway", r"not configured to relay",
                        r"isn't in my list of allowed rcpthosts?", r"we don't handle mail for",
                        r"authentication when attempting to send to a non-local",
                        r"not local host", r"relaying mail to",
                        r"specified domain is not allowed")),
    ("authfailure", _any(r"\bSPF\b", r"\bDKIM\b", r"\bDMARC\b", r"sender policy framework",
                         r"authentication (?:results|checks?) fail", r"(?<!was )not authenticated",
                         r"required authentication level",
                         r"doesn't meet the authentication requirements")),
    ("requireptr", _any(r"reverse (?:dns|lookup|hostname)", r"\bPTR\b", r"\brdns\b",
                        r"cannot find your hostname", r"cannot resolve your address",
                        r"ip name lookup failed", r"unresolvable relay host name",
                        r"(?:client|ip) (?:host|address) .{0,30}(?:has no|without) "
                        r"(?:reverse|ptr)", r"mismatches client ip",
                        r"forward dns entry does not point to the sending ip")),
    # Refusals that name our envelope sender, before the words about blocklists and spam
    # that often come with them ("sender address has been blacklisted").
    ("rejected", _any(
        r"sender (?:e-?mail )?(?:address )?(?:has been |was |is )?(?:rejected|refused|denied|"
        r"unknown|blacklisted|verify failed)", r"sender is (?:in my black list|spammer)",
        r"(?:domain|address) of sender", r"sender domain(?! listed)", r"bad sender(?! ip)",
        r"envelope senders?", r"mail from .{0,40}(?:rejected|refused)", r"unknown sender",
        r"not allowed to post", r"not a member", r"(?:not have|no) permission to post",
        r"sender (?:is )?not (?:allowed|authorized|permitted|pre-approved)", r"invalid sender",
        r"emetteur invalide", r"administrative prohibition", r"\bbatv\b", r"bogus mail from",
        r"purported responsible address", r"valid-address-filter", r"third-party dsns",
        r"fully qualified e-?mail address required", r"not a registered gateway user",
        r"mail from not owned", r"returned mail not accepted", r"unroutable sender",
        r"null sender", r"spam reporting address", r"envelope blocked",
        r"does not accept mail from",
        r"your e-?mail address has been blacklisted", r"access denied \(in reply to mail from",
        r"connections not accepted from servers without a valid sender domain",
    )),
    ("notcompliantrfc", _any(r"\bRFC ?(?:2822|5322|822)\b(?!\s*;)", r"not (?:rfc[- ]?)?compliant",
                             r"duplicate header", r"multiple (?:from|to|subject|date) header",
                             r"multiple addresses in (?:the )?(?:from|sender):? header",
                             r"rfcmessagenoncompliant",
                             r"invalid header", r"header (?:is )?(?:missing|malformed)")),
    ("badreputation", _any(r"reputation", r"sender score")),
    ("virusdetected", _any(r"\bvirus", r"malware", r"infected", r"\bworm\b",
                           r"potentially executable attachment")),
    # About the message being spam. A sender IP that sends spam, or a listed sending IP, is
    # "blocked"; a listed link or domain inside the message (URIBL, SURBL) is content.
    ("spamdetected", _any(
        r"(?<!sending )\bspam(?!haus|cop|mer|s? from your ip)(?! ips)", r"junk mail",
        r"content filter", r"antispam",
        r"bulk (?:e-?)?mail", r"bulk\.advertising", r"unsolicited", r"\b(?:uribl|surbl)\b",
        r"(?:url|uri|link|domain)s? (?:in|within) (?:the |your )?(?:message|body)",
        r"(?:mail|message) content (?:denied|rejected)", r"rejecting (?:mail|banned) content",
        r"unacceptable content", r"message rejected for policy reasons",
        r"detected that this message is", r"blocked by our filter", r"sender domain listed at",
        r"mail score \(", r"(?:classified|identified|detected|scored) as (?:spam|bulk)",
    )),
    ("toomanyconn", _any(r"too many (?:connections|concurrent|sessions|simultaneous|smtp "
                         r"sessions|errors from your ip)",
                         r"connection (?:limit|count) exceeded", r"too many recipients",
                         r"maximum connection limit", r"per-domain connection limit",
                         r"max emails per hour", r"trop de connexions",
                         r"already made numerous attempts", r"throttling failure",
                         r"connection rate limit")),
    ("speeding", _any(r"rate limit", r"sending rate", r"too (?:fast|quickly)", r"slow down",
                      r"throttl", r"try again slower",
                      r"at a rate that prevents")),
    # cPanel's Exim lists the possible causes, the address first ("The account or domain may
    # not exist, they may be blacklisted, or …"): the words about lists come second.
    ("hostunknown", _any(r"account or domain may not exist")),
    ("blocked", _any(
        r"black ?list", r"block ?list", r"deny ?list", r"\bRBL\b", r"\bDNSBL\b", r"spamhaus",
        r"spamcop", r"listed (?:at|in|on|by) ", r"client host .{0,60}(?:rejected|refused|blocked)",
        r"your (?:ip|host|server|network) (?:address )?(?:has been |is |was )?(?:\S{1,64} )?"
        r"(?:blocked|banned|rejected|refused)",
        r"connection (?:refused|rejected) (?:by|from)", r"banned", r"not allowed to send",
        r"refused to talk", r"dynamic ip", r"residential", r"invalid ip",
        r"\bip (?:address )?(?:is )?(?:not allowed|not authorized|rejected)",
        r"connection reset by peer", r"connection (?:was )?dropped", r"sending spam",
        r"spams from your ip", r"spammer", r"spam ips", r"bad (?:sender )?ip",
        r"confirm this mail server", r"requires confirmation", r"not accepting connections",
        r"go away", r"helo command rejected", r"host network not allowed",
        r"no access from mail server", r"accepting mail from your ip",
        r"smtp server of your isp", r"refused - see http", r"open proxy",
        r"forbidden by your ip", r"closing transmission channel",
        r"deferred due to (?:unexpected volume or )?user complaints",
        r"unwanted messages have been sent", r"not allowed to connect", r"your access ip",
        r"\bsaid: 550 blocked",
    )),
    ("userunknown", _any(
        r"user(?:name)? (?:is )?(?:unknown|not (?:found|known|exist|listed|valid|active))",
        r"unknown (?:local[- ]?part|user|recipient|mailbox|address|account|e-?mail|virtual user)",
        r"no such (?:user|mailbox|recipient|address|account|person|local user|e-?mail)",
        _WHO + r"(?: name)? (?:\S{1,254} )?(?:does not|doesn't|did not|not) exist",
        r"(?:mailbox|recipient|address|user|account) (?:is )?(?:not found|unknown|invalid|"
        r"unavailable|not valid|not available|not known|not recognized|not present|inactive)",
        r"invalid (?:recipient|mailbox|address|user|account|e-?mail)",
        r"not a valid (?:user|recipient|mailbox|address)", r"no mail ?box",
        r"recipient not (?:found|known|recognized|recognised|accepted|ok)",
        r"(?:unknown|bad|invalid) destination (?:mailbox|address)",
        r"destination (?:mailbox )?address (?:invalid|rejected)",
        r"not our customer", r"undeliverable address",
        r"addressee unknown", r"recipient (?:name )?is not recognized",
        r"unknown or illegal alias", r"user not local", r"no account by that name",
        r"is not a known user", r"unknown in (?:virtual|local|relay) ",
        r"invalid (?:final delivery )?user ?id",
        r"check (?:if |that |whether )?(?:the )?(?:e-?mail |recipient'?s? )?address is correct",
        r"#5\.1\.1 bad address", r"address not present", r"can't accept user",
        r"addresses were unknown", r"rejected recipients", r"not an active address",
        r"not a local address", r"recipient is not local", r"recipient ?notfound",
        r"badrcptto", r"validrcptto", r"account that you tried to reach does not exist",
        r"e-?mail name is not found", r"no one at this address",
        r"wrong or no longer valid", r"missing home directory", r"utilisateur inconnu",
        r"non[- ]?existent user", r"(?:user|recipient) \S{1,254} was not found",
        r"user \([^\s()]{1,254}\) unknown", r"not found in (?:the )?(?:name )?directory",
        r"<[^\s<>]{1,254}> not found",
        # Yahoo's "This user doesn't have a yahoo.com account"; Exchange Online's directory
        # check refuses an address it has no mailbox for as "Access denied".
        r"user doesn'?t have an? \S{1,255} account", r"recipient address rejected: access denied",
    )),
    ("filtered", _any(r"account is protected by", r"bounced address",
                      r"is not accepting any mail", r"message filtered",
                      r"rejected due to user rules", r"not found recipient account",
                      r"user refuses to receive", r"\buser reject", r"blocked by the recipient",
                      r"due to recipient preferences", r"only accepting mail from specific")),
    # A domain that exists but takes no mail (no MX, a null MX) before one that does not exist,
    # as sisimai has it; both are dead addresses when permanent.
    ("notaccept", _any(r"does not accept (?:any )?(?:e-?)?mail", r"null ?mx",
                       r"not accepting (?:any )?network messages",
                       r"(?:host|server|system) (?:is )?not accepting (?:any )?(?:e-?)?mail",
                       r"accepts no mail", r"indicated no smtp service",
                       r"doesn't receive e-?mail", r"mail receiving disabled",
                       r"no route for current request", r"name server: \.: host not found",
                       r"smtp protocol returned a permanent error",
                       r"no (?:mx|mail exchanger|valid mx)(?: records?)? (?:found|for)",
                       r"(?:couldn't|could not|unable to) find (?:a |an |any )?"
                       r"(?:mx|mail exchanger)")),
    ("hostunknown", _any(
        r"host (?:or domain name )?(?:not found|unknown)(?!, try again)", r"unknown host",
        r"domain (?:name )?(?:not found|does not exist|unknown|not exist|is invalid|invalid|"
        r"is not reachable|must exist)", r"host unreachable",
        r"no such (?:domain|host)", r"unrout(?:e)?able address",
        # Postfix's "Name service error for name=… type=MX: " says more after it: "Host not
        # found" is a missing domain, a malformed reply or "try again" a resolver failing.
        r"name service error(?![^\n]{0,300}?(?:malformed|unexpected|try again|server failure))",
        r"name or service not known", r"(?:dns|mx) (?:lookup )?(?:failure|failed|error)",
        r"no (?:mx|mail exchanger|valid mx)", r"nxdomain", r"unknown domain",
        r"invalid domain", r"non-?existent domain", r"could not resolve",
        r"domain .{0,40}not (?:valid|exist)", r"illegal host/domain",
        r"bad destination (?:host|system)", r"mail domain mentioned in e-?mail address is unknown",
    )),
    ("syntaxerror", _any(r"syntax error", r"malformed (?:recipient )?address",
                         r"command (?:not )?(?:recognized|unrecognized)",
                         r"bad sequence of commands", r"unknown command")),
    # The rest sisimai asks only after the status code: their words are about the path, the
    # server or the session, which a precise code overrules.
    ("policyviolation", _any(
        r"illegal attachment", r"not accepting mail with ", r"members-only list",
        r"closed mailing list", r"header (?:are not accepted|error)", r"organizational settings",
        r"message given low priority", r"messages with multiple addresses",
        r"not subscribed to this group", r"organization policy",
        r"content presents a potential", r"containing images or other attachments",
        r"mass mailer", r"(?:denied|rejected) (?:by|for) (?:local )?policy",
        r"policy (?:reasons|violation)",
    )),
    ("systemerror", _any(r"system error", r"configuration error", r"internal (?:server )?error",
                         r"local error", r"temporary (?:failure|error|problem)",
                         r"server (?:is )?(?:busy|unavailable)", r"service (?:is )?unavailable",
                         r"too many received", r"misconfigur", r"try again later",
                         r"forwarding loop broken", r"create user output file",
                         r"could not load drd", r"interrupted system call",
                         r"error while being processed", r"create a mail loop",
                         r"loop was found in the mail exchanger", r"loops back to myself",
                         r"queue file write error", r"there is no mdb", r"config error",
                         r"service currently unavailable", r"temporary local problem",
                         r"timeout waiting for input", r"unable to connect .{0,20}daemon",
                         r"\bldap\b", r"directory server")),
    ("expired", _any(r"expired", r"did not accept our requests to connect",
                     r"retry (?:time|timeout)", r"too long in (?:the )?queue",
                     r"could not be delivered (?:with|for|in) ", r"delivery time",
                     r"undeliverable for", r"deferred for", r"no answer from",
                     r"queue lifetime", r"has not been able to deliver",
                     r"unable to deliver .{0,40}days",
                     r"(?:failed|after) \d+ (?:delivery )?attempts",
                     r"connection timed out", r"could not find a gateway",
                     r"delivery attempts will continue", r"failed to deliver to domain",
                     r"failing for a long time", r"not been collected after",
                     r"server did not respond", r"in the queue too long",
                     r"after multiple retries", r"within the allowed queue period",
                     r"has been delayed", r"message timed out", r"giving up on")),
    ("networkerror", _any(r"connection (?:refused|reset|lost|closed|dropped)",
                          r"routing loop", r"mail loop", r"too many hops", r"no route to host",
                          r"unreachable", r"lost connection", r"could not connect",
                          r"unable to connect(?! .{0,20}daemon)", r"connect to .{0,60}failed",
                          r"hop count exceeded", r"host name lookup failure",
                          r"host not found, try again", r"forwarding loop",
                          r"name server reply", r"loop count exceeded", r"message looping",
                          r"unable to resolve route", r"unrouteable mail domain",
                          r"dns records for the destination computer could not be found")),
    ("systemfull", _any(r"system (?:storage|disk) (?:is )?full", r"insufficient system storage",
                        r"mail system full")),
    ("securityerror", _any(
        r"not subscribed to ses", r"authentication (?:credentials invalid|failure|required|"
        r"turned on)", r"authentication failed; server", r"executable files",
        r"insecure mail relay", r"don't authenticate", r"unauthenticated senders",
        r"verification failure", r"not authorized to send mail")),
    ("mailererror", _any(r"mailer error", r"command (?:died|failed)", r"\bprocmail\b",
                         r"pipe to", r"exit (?:code|status)", r"mail program", r"mailer=")),
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


# Reasons about the path, the server or the session: sisimai asks their words only after a
# precise status code, which overrules them ("552 5.2.2 ... connection timed out").
AFTER_CODE = frozenset({"policyviolation", "systemerror", "expired", "networkerror",
                        "systemfull", "securityerror", "mailererror"})


def reason_from_text(text: str, *, loose: bool = False) -> str | None:
    """The first reason whose phrases occur in `text`, or None; `loose` asks the weak words."""
    if not text:
        return None
    text = text[:MAX_TEXT]
    for reason, pattern in _LOOSE if loose else _PHRASES:
        if pattern.search(text):
            return reason
    return None
