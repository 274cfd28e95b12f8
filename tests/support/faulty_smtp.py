"""A real SMTP server (aiosmtpd on a free port) that misbehaves the way real ones do.

    faulty_smtp.tempfail("a@example.com", times=2)   # 451 to RCPT for the first two tries
    faulty_smtp.reject("b@example.com")              # 550 to RCPT, always
    faulty_smtp.refuse_body("c@example.com", "554 5.7.1 Spam")  # refuse its messages at DATA
    faulty_smtp.throttle("451 4.7.0 rate limited", times=3)  # refuse the next 3 RCPTs, anyone
                                                     # (a 421 also hangs up after replying)
    faulty_smtp.refuse_every(200, "421 4.7.0 Try again later")  # every 200th RCPT, anyone
    faulty_smtp.refuse_at_random(0.2, "451 4.3.0 <{rcpt}>: Temporary lookup failure")
                                                     # a fifth of RCPTs, each reader once
    faulty_smtp.drop_after(5)                        # hang up after 5 accepted messages, once
    faulty_smtp.drop_after(5, in_data=True)          # … or during the 6th message's DATA,
                                                     #     before taking it (fate unknown)
    faulty_smtp.go_down(); ...; faulty_smtp.come_back()  # stopped, then back on the same port
    faulty_smtp.handler.data_delay = 0.1             # a slow server: each message takes 0.1 s
    faulty_smtp.accepted["a@example.com"]            # messages accepted for that recipient

Import it explicitly in a test module: `from tests.support.faulty_smtp import faulty_smtp`.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.services import free_port
from tests.support.smtp import Received

TEMPFAIL = "451 4.7.1 Greylisted, try again later"
REJECT = "550 5.1.1 No such user here"


@dataclass
class FaultyHandler:
    messages: list[Received] = field(default_factory=list)
    accepted: Counter[str] = field(default_factory=Counter)
    accepted_at: list[float] = field(default_factory=list)  # time.monotonic() of each 250
    tempfail_left: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)  # address -> reply to RCPT
    refused_bodies: dict[str, str] = field(default_factory=dict)  # address -> reply to DATA
    throttle_left: int = 0  # RCPTs still to refuse with throttle_reply, whoever they are for
    throttle_reply: str = ""
    throttled: int = 0  # RCPTs refused that way so far
    every: int = 0  # refuse every `every`-th RCPT with every_reply (0: never)
    every_reply: str = ""
    rcpts: int = 0  # RCPTs seen so far
    random_rate: float = 0.0  # refuse this share of RCPTs with random_reply ...
    random_reply: str = ""
    rng: random.Random = field(default_factory=lambda: random.Random(9))
    refused_once: set[str] = field(default_factory=set)  # ... each recipient at most once
    drop_after_accepted: int | None = None
    drop_in_data: bool = False
    drops: int = 0
    data_delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _drop_due(self, in_data: bool) -> bool:
        with self.lock:
            due = (self.drop_after_accepted is not None and self.drop_in_data == in_data
                   and sum(self.accepted.values()) >= self.drop_after_accepted)
            if due:
                self.drop_after_accepted = None
                self.drops += 1
            return due

    @staticmethod
    async def _hang_up(server: SMTP) -> str:
        assert server.transport is not None
        server.transport.abort()
        await asyncio.sleep(0)
        return "421 4.3.2 closing"  # never reaches the client: the line is already gone

    async def handle_MAIL(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, mail_options: list[str]) -> str:
        # Hanging up at the start of the next transaction, after the previous message's 250
        # went out, is a drop where nothing is in doubt: the client must simply go on.
        if self._drop_due(in_data=False):
            return await self._hang_up(server)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        with self.lock:
            refusal = self._refusal(address)
            if refusal is not None:
                self.throttled += 1
                if refusal.startswith("421"):  # reply, then close the line
                    assert server.transport is not None
                    asyncio.get_running_loop().call_soon(server.transport.close)
                return refusal
            if address in self.rejected:
                return self.rejected[address]
            if self.tempfail_left.get(address, 0) > 0:
                self.tempfail_left[address] -= 1
                return TEMPFAIL
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def _refusal(self, address: str) -> str | None:
        """The reply refusing this RCPT, if one of the refusals set up is due (under lock)."""
        self.rcpts += 1
        if self.throttle_left > 0:
            self.throttle_left -= 1
            return self.throttle_reply
        if self.every and self.rcpts % self.every == 0:
            return self.every_reply
        if (self.random_rate and address not in self.refused_once
                and self.rng.random() < self.random_rate):
            self.refused_once.add(address)
            return self.random_reply.format(rcpt=address)
        return None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._drop_due(in_data=True):  # the body arrived but was never taken
            return await self._hang_up(server)
        await asyncio.sleep(self.data_delay)
        data = envelope.original_content or b""
        refusals = [self.refused_bodies[r] for r in envelope.rcpt_tos if r in self.refused_bodies]
        if refusals:
            return refusals[0]
        with self.lock:
            self.messages.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos),
                                          data))
            self.accepted.update(envelope.rcpt_tos)
            self.accepted_at.append(time.monotonic())
        return "250 Message accepted"


class FaultySMTPServer:
    def __init__(self) -> None:
        self.handler = FaultyHandler()
        self.port = free_port()
        self.controller: Controller | None = None

    @property
    def accepted(self) -> Counter[str]:
        return self.handler.accepted

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    def tempfail(self, address: str, times: int) -> None:
        self.handler.tempfail_left[address] = times

    def reject(self, address: str, reply: str = REJECT) -> None:
        """Refuse the recipient at RCPT, always (by default: no such user)."""
        self.handler.rejected[address] = reply

    def throttle(self, reply: str, times: int) -> None:
        """Refuse the next `times` RCPTs, for any recipient, with `reply` (a provider's "slow
        down"); with a 421 the server also closes the connection, as real ones do."""
        with self.handler.lock:
            self.handler.throttle_reply, self.handler.throttle_left = reply, times

    def refuse_every(self, every: int, reply: str) -> None:
        """Refuse every `every`-th RCPT, whoever it is for, with `reply` (a 421 hangs up)."""
        with self.handler.lock:
            self.handler.every, self.handler.every_reply = every, reply

    def refuse_at_random(self, rate: float, reply: str) -> None:
        """Refuse RCPTs at random, `rate` of them, with `reply` ("{rcpt}" is the address);
        each recipient at most once, as a passing lookup failure would (seeded: repeatable)."""
        with self.handler.lock:
            self.handler.random_rate, self.handler.random_reply = rate, reply

    def refuse_body(self, address: str, reply: str) -> None:
        """Accept the recipient but refuse every message to it after DATA (spam, policy)."""
        self.handler.refused_bodies[address] = reply

    def drop_after(self, accepted: int, *, in_data: bool = False) -> None:
        """Close the connection once, when `accepted` messages in all have been taken: at
        the next MAIL, or (`in_data`) after the next message's body, without taking it."""
        self.handler.drop_after_accepted = accepted
        self.handler.drop_in_data = in_data

    def come_back(self) -> None:
        """Start (again) on the same port; a stopped controller cannot be restarted."""
        assert self.controller is None, "already up"
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     enable_SMTPUTF8=True)
        self.controller.start()

    def go_down(self) -> None:
        assert self.controller is not None, "already down"
        self.controller.stop()
        self.controller = None

    def env(self) -> dict[str, Any]:
        return {"BRIEFING_SMTP_HOST": "127.0.0.1", "BRIEFING_SMTP_PORT": str(self.port),
                "BRIEFING_SMTP_SECURITY": "none", "BRIEFING_SMTP_TIMEOUT": "10"}


@pytest.fixture
def faulty_smtp() -> Iterator[FaultySMTPServer]:
    server = FaultySMTPServer()
    server.come_back()
    yield server
    if server.controller is not None:
        server.go_down()
