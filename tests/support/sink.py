"""A fast counting SMTP sink for crash tests and the delivery benchmark.

aiosmtpd tops out near 300 messages a second, so a benchmark through it measures aiosmtpd.
This sink is a bare asyncio Protocol in its own process (`python -m tests.support.sink`):
it speaks just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and, like most
real servers, offers PIPELINING: commands that arrive together are answered together. It
reads a message body until CRLF.CRLF without re-scanning what it already searched, and
counts what it accepted per recipient and per (recipient, Message-ID).

Counts are read over the same port with three extra verbs, so tests and the benchmark need
no shared memory: XSTAT (one line of JSON), XDUMP <path> (every count, as a JSON file) and
XRESET. A message is counted when its 250 is written, i.e. when the server has accepted it;
`--delay` holds that reply back so tests can slow sending down and kill a worker midway.
A connection that ends without QUIT is counted as aborted: each one can have left at most
one message whose acceptance its client never learned of.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_END = b"\r\n.\r\n"
_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*([^\r\n]*)", re.IGNORECASE | re.MULTILINE)
_EHLO = b"250-sink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 HELP\r\n"


@dataclass
class Tally:
    """Everything the sink accepted, since start or the last XRESET."""

    messages: int = 0
    first_at: float | None = None    # time.monotonic(): system-wide on Linux
    last_at: float | None = None
    open_connections: int = 0
    connections: int = 0
    aborted_connections: int = 0     # closed without QUIT (a killed client)
    per_recipient: dict[str, Counter[str]] = field(default_factory=dict)

    def accept(self, recipients: list[str], message_id: str) -> None:
        now = time.monotonic()
        self.first_at = self.first_at or now
        self.last_at = now
        self.messages += 1
        for recipient in recipients:
            self.per_recipient.setdefault(recipient, Counter())[message_id] += 1

    def summary(self) -> dict[str, Any]:
        return {"messages": self.messages, "first_at": self.first_at, "last_at": self.last_at,
                "open_connections": self.open_connections, "connections": self.connections,
                "aborted_connections": self.aborted_connections,
                "recipients": len(self.per_recipient)}

    def reset(self) -> None:
        kept = self.open_connections
        self.__init__()  # type: ignore[misc]
        self.open_connections = kept


class SMTPSession(asyncio.Protocol):
    """One client connection; commands and message bodies share one input buffer."""

    def __init__(self, tally: Tally, delay: float) -> None:
        self.tally, self.delay = tally, delay
        self.buffer = bytearray()
        self.body: bytearray | None = None  # set while reading DATA
        self.scanned = 0                    # body bytes already searched for the end marker
        self.recipients: list[str] = []
        self.waiting = False                # a delayed 250 is pending: hold further input
        self.quit = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.tally.open_connections += 1
        self.tally.connections += 1
        transport.write(b"220 sink ESMTP\r\n")

    def connection_lost(self, exc: Exception | None) -> None:
        self.tally.open_connections -= 1
        self.tally.aborted_connections += not self.quit
        self.transport = None

    def data_received(self, data: bytes) -> None:
        if self.body is not None:
            self.body += data
        else:
            self.buffer += data
        self._process()

    def _process(self) -> None:
        out: list[bytes] = []
        while not self.waiting and self.transport is not None:
            if self.body is not None:
                if not self._body_done(out):
                    break
            else:
                line_end = self.buffer.find(b"\n")
                if line_end < 0:
                    break
                line = bytes(self.buffer[:line_end]).rstrip(b"\r")
                del self.buffer[:line_end + 1]
                out.append(self._command(line))
        if out and self.transport is not None:
            self.transport.write(b"".join(out))
            if self.quit:
                self.transport.close()

    def _body_done(self, out: list[bytes]) -> bool:
        assert self.body is not None
        end = self.body.find(_END, max(0, self.scanned - len(_END)))
        if end < 0:
            self.scanned = len(self.body)
            return False
        message = bytes(self.body[2:end + 2])  # the body began with our CRLF sentinel
        self.buffer = self.body[end + len(_END):]
        self.body, self.scanned = None, 0
        recipients, self.recipients = self.recipients, []
        if self.delay > 0:
            self.waiting = True
            asyncio.get_running_loop().call_later(self.delay, self._accept_later,
                                                  recipients, message)
        else:
            self.tally.accept(recipients, _message_id(message))
            out.append(b"250 2.0.0 queued\r\n")
        return True

    def _accept_later(self, recipients: list[str], message: bytes) -> None:
        self.waiting = False
        if self.transport is None or self.transport.is_closing():
            return  # the client is gone before our 250: not accepted
        self.tally.accept(recipients, _message_id(message))
        self.transport.write(b"250 2.0.0 queued\r\n")
        self._process()

    def _command(self, line: bytes) -> bytes:
        verb, _, argument = line.partition(b" ")
        handler = _VERBS.get(verb.upper())
        if handler is None:
            return b"500 5.5.2 unknown command\r\n"
        return handler(self, argument.strip())

    def _ehlo(self, _: bytes) -> bytes:
        return _EHLO

    def _helo(self, _: bytes) -> bytes:
        return b"250 sink\r\n"

    def _mail(self, _: bytes) -> bytes:
        self.recipients = []
        return b"250 2.1.0 ok\r\n"

    def _rcpt(self, argument: bytes) -> bytes:
        address = argument.partition(b"<")[2].partition(b">")[0]
        self.recipients.append(address.decode("utf-8", "replace"))
        return b"250 2.1.5 ok\r\n"

    def _data(self, _: bytes) -> bytes:
        if not self.recipients:
            return b"503 5.5.1 no recipients\r\n"
        # A leading CRLF lets an empty body's lone ".\r\n" match the end marker too.
        self.body = bytearray(b"\r\n") + self.buffer
        self.buffer = bytearray()
        return b"354 end with <CRLF>.<CRLF>\r\n"

    def _rset(self, _: bytes) -> bytes:
        self.recipients = []
        return b"250 2.0.0 ok\r\n"

    def _noop(self, _: bytes) -> bytes:
        return b"250 2.0.0 ok\r\n"

    def _quit(self, _: bytes) -> bytes:
        self.quit = True
        return b"221 2.0.0 bye\r\n"

    def _xstat(self, _: bytes) -> bytes:
        return b"250 " + json.dumps(self.tally.summary()).encode() + b"\r\n"

    def _xdump(self, argument: bytes) -> bytes:
        Path(argument.decode()).write_text(json.dumps(self.tally.per_recipient))
        return b"250 2.0.0 dumped\r\n"

    def _xreset(self, _: bytes) -> bytes:
        self.tally.reset()
        return b"250 2.0.0 reset\r\n"


_VERBS = {b"EHLO": SMTPSession._ehlo, b"HELO": SMTPSession._helo, b"MAIL": SMTPSession._mail,
          b"RCPT": SMTPSession._rcpt, b"DATA": SMTPSession._data, b"RSET": SMTPSession._rset,
          b"NOOP": SMTPSession._noop, b"QUIT": SMTPSession._quit, b"XSTAT": SMTPSession._xstat,
          b"XDUMP": SMTPSession._xdump, b"XRESET": SMTPSession._xreset}


def _message_id(message: bytes) -> str:
    head_end = message.find(b"\r\n\r\n")
    found = _MESSAGE_ID.search(message, 0, head_end if head_end >= 0 else len(message))
    return found.group(1).strip().decode("utf-8", "replace") if found else ""


async def serve(port: int, delay: float) -> None:
    tally = Tally()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTPSession(tally, delay), "127.0.0.1", port,
                                      backlog=128)
    bound = server.sockets[0].getsockname()[1]
    print(f"READY {bound}", flush=True)  # the parent waits for this line
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()


@dataclass(frozen=True)
class SinkStats:
    messages: int
    first_at: float | None
    last_at: float | None
    open_connections: int
    connections: int
    aborted_connections: int
    recipients: int

    @property
    def seconds(self) -> float:
        return (self.last_at or 0.0) - (self.first_at or 0.0)


class Sink:
    """Starts the sink process and asks it for its counts; a context manager."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.proc: subprocess.Popen[str] | None = None
        self.port = 0

    def start(self) -> Sink:
        command = [sys.executable, "-m", "tests.support.sink", "--delay", str(self.delay)]
        self.proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True,
                                     start_new_session=True)  # Ctrl-C is for the parent
        assert self.proc.stdout is not None
        ready = self.proc.stdout.readline().split()
        if len(ready) != 2 or ready[0] != "READY":
            self.stop()
            raise RuntimeError("the SMTP sink did not start")
        self.port = int(ready[1])
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def env(self) -> dict[str, str]:
        return {"BRIEFING_SMTP_HOST": "127.0.0.1", "BRIEFING_SMTP_PORT": str(self.port),
                "BRIEFING_SMTP_SECURITY": "none", "BRIEFING_SMTP_TIMEOUT": "10"}

    def command(self, line: str) -> str:
        """One control verb over a fresh connection; returns the reply text after the code."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as sock:
            stream = sock.makefile("rwb")
            stream.readline()  # greeting
            stream.write(f"{line}\r\nQUIT\r\n".encode())
            stream.flush()
            reply = stream.readline().decode().rstrip("\r\n")
        if not reply.startswith("250 "):
            raise RuntimeError(f"sink refused {line!r}: {reply}")
        return reply[4:]

    def stats(self) -> SinkStats:
        # Our own control connection is open while the sink answers: leave it out.
        summary = json.loads(self.command("XSTAT"))
        summary["open_connections"] -= 1
        summary["connections"] -= 1
        return SinkStats(**summary)

    def counts(self, scratch: Path) -> dict[str, dict[str, int]]:
        """{recipient: {Message-ID: copies}} for everything accepted so far."""
        path = scratch / f"sink-counts-{os.getpid()}.json"
        self.command(f"XDUMP {path}")
        counts: dict[str, dict[str, int]] = json.loads(path.read_text())
        path.unlink()
        return counts

    def reset(self) -> None:
        self.command("XRESET")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None

    def __enter__(self) -> Sink:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Counting SMTP sink on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--delay", type=float, default=0.0,
                        help="seconds to hold back each 250 after DATA")
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.delay))


if __name__ == "__main__":
    main()
