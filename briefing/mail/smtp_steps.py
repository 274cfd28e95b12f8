"""The SMTP conversation for one message, done by hand so every failure has a known stage.

smtplib's sendmail() hides where a failure happened, reports refused recipients without
raising, and runs two regular expressions over every body. Here the envelope (MAIL, RCPT,
DATA) is handed over first — in one round trip when the server offers PIPELINING (RFC
2920) — and only then the body: a failure before the body is safe to retry, one during it
means the message may have been delivered.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
from collections.abc import Callable

Fail = Callable[[int, bytes, str], Exception]
# Checked before any command is written: either would let an address smuggle in a command.
_UNSAFE_IN_PATH = re.compile(r"[\r\n<>]")


def hand_over_envelope(connection: smtplib.SMTP, sender: str, recipient: str,
                       options: list[str], fail: Fail,
                       meanwhile: Callable[[], None] = lambda: None) -> None:
    """MAIL FROM, RCPT TO and DATA; returns once the server said 354 (go ahead).

    `meanwhile` runs while the server answers (once the pipelined commands are out), or
    before the first command without PIPELINING; in any case before any body is sent."""
    if not connection.does_esmtp:
        connection.ehlo_or_helo_if_needed()
    for address, stage in ((sender, "mail"), (recipient, "rcpt")):
        if _UNSAFE_IN_PATH.search(address):
            raise fail(553, b"address holds a line break or angle bracket; not sent", stage)
    if connection.has_extn("pipelining"):
        replies = _pipelined(connection, sender, recipient, options, meanwhile)
    else:
        meanwhile()
        replies = _one_by_one(connection, sender, recipient, options)
    for (code, reply), stage, accepted in zip(replies, ("mail", "rcpt", "data"),
                                              ((250,), (250, 251), (354,)), strict=False):
        if code not in accepted:
            _reset(connection)
            raise fail(code, reply, stage)


def _pipelined(connection: smtplib.SMTP, sender: str, recipient: str, options: list[str],
               meanwhile: Callable[[], None]) -> list[tuple[int, bytes]]:
    extra = "".join(f" {option}" for option in options)
    # Plain <address>: smtplib.quoteaddr re-parses each address with the email package,
    # a noticeable cost per message for addresses that were validated when stored.
    connection.send(f"MAIL FROM:<{sender}>{extra}\r\nRCPT TO:<{recipient}>\r\nDATA\r\n")
    meanwhile()
    replies: list[tuple[int, bytes]] = []
    while len(replies) < 3:
        replies.append(connection.getreply())
        if replies[-1][0] == 421:  # the server is closing the line: no more replies come
            break
    return replies


def _one_by_one(connection: smtplib.SMTP, sender: str, recipient: str,
                options: list[str]) -> list[tuple[int, bytes]]:
    replies = [connection.mail(sender, options)]
    if replies[-1][0] == 250:
        replies.append(connection.rcpt(recipient))
        if replies[-1][0] in (250, 251):
            replies.append(connection.docmd("data"))
    return replies


def _reset(connection: smtplib.SMTP) -> None:
    with contextlib.suppress(smtplib.SMTPServerDisconnected, OSError):
        connection.rset()  # if the line is gone, the next message opens a new one


def send_body(connection: smtplib.SMTP, data: bytes) -> tuple[int, bytes]:
    """The message itself (CRLF line endings, as ours always have), dot-stuffed."""
    stuffed = data.replace(b"\r\n.", b"\r\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    connection.send(stuffed + b".\r\n")
    return connection.getreply()
