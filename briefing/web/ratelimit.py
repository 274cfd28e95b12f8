"""Per-client request limits for the public routes (sign-up form, links, /api/subscribe).

A sliding window in this process's memory: each client address keeps the times of its recent
requests. Several API processes (uvicorn --workers, or several hosts) each count on their
own, so the effective limit is the setting times the number of processes; that is good enough
to stop a script filling inboxes with confirmation mail, which is the point here.

The client address is what the ASGI server reports. Behind a reverse proxy, start uvicorn
with --proxy-headers and --forwarded-allow-ips so it is the reader's address, not the
proxy's (we never read X-Forwarded-For ourselves: any client can send one).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import Request

WINDOW = 60.0          # seconds
MAX_CLIENTS = 100_000  # remembered addresses; beyond this the idle ones are forgotten


class RateLimited(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; try again in {retry_after} s")
        self.retry_after = retry_after


class RateLimiter:
    """At most `limit` requests per client in any `window` seconds."""

    def __init__(self, limit: int, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()  # sync routes run in a thread pool

    def hit(self, client: str) -> None:
        """Count one request; raises RateLimited (counting nothing) when over the limit."""
        now = self.clock()
        with self._lock:
            times = self._seen.setdefault(client, deque())
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) >= self.limit:
                raise RateLimited(max(1, math.ceil(times[0] + self.window - now)))
            times.append(now)
            if len(self._seen) > MAX_CLIENTS:
                self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        idle = [key for key, times in self._seen.items()
                if not times or times[-1] <= now - self.window]
        for key in idle:
            del self._seen[key]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check(request: Request, limiter_name: str = "public_limiter") -> None:
    """Count this request against its client's budget (the limiter lives on app.state)."""
    limiter: RateLimiter = getattr(request.app.state, limiter_name)
    limiter.hit(client_address(request))
