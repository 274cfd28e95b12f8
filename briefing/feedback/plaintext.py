"""Bounces written for people: qmail, Exim, old Sendmail, Exchange, Gmail, Yahoo and others.

These formats differ in wording but share a layout: a preamble, then each failed address at
the start of a line (bare, in angle brackets, followed by ":" or "...", or after an SMTP reply
code), with the remote server's answer on the lines after it, then a marker and a copy of the
message. Reading that layout, rather than each server's exact template, also covers servers
nobody wrote a template for.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from briefing.feedback.addressing import ADDRESS, is_mailer, normalize

__all__ = ["Failure", "failures_in", "human_text", "looks_like_bounce"]

MAX_LINES = 400
MAX_DIAGNOSTIC_LINES = 12

_LEADING_ADDRESS = re.compile(
    r"^\s{0,12}(?:[>*-]+\s*)?(?:In:\s+)?(?:\d{3}[ -](?:\d\.\d{1,3}\.\d{1,3}\s+)?)?"
    # "Recipient: x", "Invalid final delivery userid: x", a transcript's "RCPT TO:<x>" — but
    # not the original's own headers, nor the sender a transcript gave in MAIL FROM.
    r"(?:(?!(?:To|From|Cc|Bcc|Sent|Date|Subject|Reply-To|MAIL FROM)\s*:)"
    r"[A-Za-z][\w .'-]{0,50}:\s*"
    r"(?:rfc822;\s*)?)?"
    r"[<\"(]?(" + ADDRESS.pattern + r")[>\")]?"
    r"(?:[\s:;,.(\[<-].*)?$",
    re.IGNORECASE)
# Where the copy of the original message (or its headers) begins.
_ORIGINAL_STARTS = re.compile(
    r"^\s*(?:-{2,}|={2,}|_{2,})?\s*(?:original message|below this line|this is a copy|"
    r"returned message|unsent message|message headers follow|the (?:original )?(?:message|"
    r"headers?)|headers of the original|copy of (?:the|your) message|original mail|"
    r"end of transcript)"
    r"|^(?:Received|Return-Path|DKIM-Signature|Message-I[Dd]|MIME-Version|X-Mailer)\s*:",
    re.IGNORECASE)
_REPORTING_PHRASES = re.compile(
    r"undeliver|undelivered|delivery (?:status )?notification|non[- ]?delivery|returned mail|"
    r"failure notice|delivery fail|mail delivery|could not be delivered|not (?:be )?delivered|"
    r"delivery problem|rejected|return(?:ed|ing) to sender|unzustellbar|nicht zustellbar|"
    r"mail failed|配信でき|配送でき|送信できませ|不達|"
    r"problem delivering|failed delivery|delivery has failed|error sending|"
    r"message (?:that )?you sent|not reach|bounce|delivery error|mail system error|"
    r"returning message|mail failure|permission to post|transcript of session",
    re.IGNORECASE)
# An SMTP refusal on a line of its own, or as a transcript shows it ("Out: 451 …", "<<< 550").
_REFUSAL_LINE = re.compile(r"^\s*(?:Out:\s*|<<<\s*)?[45]\d\d[ -]", re.MULTILINE)


_EXPLAINED = re.compile(r"[>\"]?:\s*\S")
_SAYS_WHY = re.compile(r"(?<![\d.])[45]\d\d(?![\d.])|#?[45]\.\d{1,3}\.\d{1,3}")


@dataclass
class Failure:
    recipient: str
    lines: list[str] = field(default_factory=list)

    @property
    def diagnostic(self) -> str:
        # Sendmail writes one line per address ("554 <a@b>... Host unknown") and the lines
        # after it belong to the next address; elsewhere the answer follows the address.
        first = self.lines[0] if self.lines else ""
        if _SAYS_WHY.search(first.replace(self.recipient, " ")) or self._one_line_answer():
            return first.strip()
        if first.lstrip().startswith(("In:", ">>>")):  # a transcript: the refusals say why
            refusals = [line.strip() for line in self.lines if _REFUSAL_LINE.match(line)]
            return " ".join(refusals) or self.context
        return self.context

    def _one_line_answer(self) -> bool:
        # "reader@example.org: Envelope expired" and a blank line: the answer is that line,
        # and the paragraph after it is the notice's own text ("this is only a temporary
        # failure report"), not the server's.
        if not self.lines:
            return False
        after = self.lines[0].split(self.recipient, 1)[-1]
        blank_next = len(self.lines) == 1 or not self.lines[1].strip()
        return blank_next and bool(_EXPLAINED.match(after))

    @property
    def context(self) -> str:
        """Every line reported with this address."""
        kept = [line.strip() for line in self.lines if line.strip()]
        return " ".join(kept[:MAX_DIAGNOSTIC_LINES])


def looks_like_bounce(sender: str, subject: str, text: str) -> bool:
    """Whether a message without a status part reads as a report of failed delivery."""
    from_mailer = bool(sender) and is_mailer(sender)
    subject_says = bool(_REPORTING_PHRASES.search(subject))
    body_says = bool(_REPORTING_PHRASES.search(text[:4000]) or _REFUSAL_LINE.search(text[:4000]))
    return subject_says or (from_mailer and body_says)


def human_text(text: str, is_html: bool = False) -> str:
    """Text for reading, with HTML reduced to its words and lines."""
    if not is_html:
        return text
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
    text = re.sub(r"(?i)<br\s*/?>|</(?:p|div|tr|li|h\d)>", "\n", text)
    return html.unescape(re.sub(r"<[^>]{0,2000}>", " ", text))


def failures_in(text: str, ours: set[str]) -> tuple[list[Failure], str]:
    """Failed recipients in document order, each with its lines; and the preamble."""
    failures: dict[str, Failure] = {}
    current: Failure | None = None
    preamble: list[str] = []
    for line in _report_lines(text):
        address = _leading_address(line, ours)
        if address is not None:
            current = failures.setdefault(address.lower(), Failure(address))
            current.lines.append(line)
        elif current is not None:
            current.lines.append(line)
        else:
            preamble.append(line)
    return list(failures.values()), "\n".join(preamble)


def _report_lines(text: str) -> list[str]:
    lines = text.split("\n")[:MAX_LINES]
    for index, line in enumerate(lines):
        if index > 0 and _ORIGINAL_STARTS.match(line):
            return lines[:index]
    return lines


def _leading_address(line: str, ours: set[str]) -> str | None:
    if "@" not in line or len(line) > 400:
        return None
    match = _LEADING_ADDRESS.match(line)
    if match is None:
        return None
    address = normalize(match.group(1))
    if address is None or address.lower() in ours:
        return None
    # A mail system's own address in the text is usually who to contact, not who failed;
    # but "postmaster@gone.example: Domain does not exist" is a failed recipient like any.
    if is_mailer(address) and not _EXPLAINED.match(line[match.end(1):]):
        return None
    return address
