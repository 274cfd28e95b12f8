"""A tiny local HTTP server for tests, exposed as the pytest fixture ``web``.

Tests must never touch the internet, so anything that fetches (pages, feeds,
redirects, slow or oversized answers, conditional GETs) is exercised against a
``ThreadingHTTPServer`` bound to 127.0.0.1 on a free port. Usage::

    def test_something(web):
        web.route("/a", "<html>...</html>")
        web.redirect("/old", "/a")
        web.slow("/slow", 2.0)
        web.stream("/huge")                     # endless body
        web.trickle("/drip", part="headers")    # one byte every 0.5 s, for hours
        web.route("/feed", rss, content_type="application/rss+xml", etag='"v1"')
        fetch(web.url("/old"), FetchPolicy(allow_private=True))
        assert web.requests[0][1] == "/old"

Routes are matched on the full request target first (``/p?q=1``), then on the
path without its query string. Unknown paths answer 404.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest

__all__ = ["Route", "WebServer", "web"]

Headers = dict[str, str]


@dataclass
class Route:
    """What the server answers for one path."""

    body: bytes = b""
    status: int = 200
    content_type: str | None = "text/html; charset=utf-8"
    headers: Headers = field(default_factory=dict)
    delay_s: float = 0.0  # sleep before sending anything (read-timeout tests)
    etag: str | None = None  # enables If-None-Match → 304
    last_modified: str | None = None  # enables If-Modified-Since → 304
    # Streaming: ``stream_total`` bytes (None = endless) sent in chunks with no
    # Content-Length, so only the client's byte cap can stop it.
    stream: bool = False
    stream_total: int | None = None
    chunk_size: int = 64 * 1024
    # Trickling: one byte every ``trickle_s`` seconds, of the status line and headers
    # ("headers") or of the body after prompt headers ("body"), for as long as the client
    # stays; a per-read timeout never fires, only a deadline on the whole fetch does.
    trickle_s: float = 0.0
    trickle_part: str = "body"


class WebServer:
    """Handle returned by the ``web`` fixture."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, str, Headers]] = []
        self._lock = threading.Lock()
        # Requests being answered right now, and the most there ever were at once.
        self.in_flight = 0
        self.most_in_flight = 0
        # Set at teardown so sleeping/streaming handler threads stop promptly.
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown() (and so each teardown) quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="test-web", daemon=True
        )

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- public API --------------------------------------------------------
    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        if not path.startswith("/"):
            path = "/" + path
        return self.base_url + path

    def route(
        self,
        path: str,
        body: bytes | str = b"",
        status: int = 200,
        headers: Headers | None = None,
        content_type: str | None = "text/html; charset=utf-8",
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        delay_s: float = 0.0,
    ) -> Route:
        """Serve ``body`` at ``path``. ``content_type=None`` sends no Content-Type."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        route = Route(
            body=raw,
            status=status,
            content_type=content_type,
            headers=dict(headers or {}),
            delay_s=delay_s,
            etag=etag,
            last_modified=last_modified,
        )
        self.routes[path] = route
        return route

    def redirect(self, path: str, to: str, status: int = 302) -> Route:
        """Redirect ``path`` to ``to`` (absolute URL or path, sent verbatim)."""
        return self.route(path, b"", status=status, headers={"Location": to}, content_type=None)

    def slow(
        self,
        path: str,
        delay_s: float,
        body: bytes | str = b"<html><body><p>late</p></body></html>",
        content_type: str = "text/html; charset=utf-8",
    ) -> Route:
        """Serve ``path`` only after sleeping ``delay_s`` (headers included)."""
        return self.route(path, body, content_type=content_type, delay_s=delay_s)

    def stream(
        self,
        path: str,
        total_bytes: int | None = None,
        content_type: str = "text/html; charset=utf-8",
        headers: Headers | None = None,
        chunk_size: int = 64 * 1024,
    ) -> Route:
        """Stream ``total_bytes`` (None = forever) without a Content-Length."""
        route = Route(
            content_type=content_type,
            headers=dict(headers or {}),
            stream=True,
            stream_total=total_bytes,
            chunk_size=chunk_size,
        )
        self.routes[path] = route
        return route

    def trickle(self, path: str, part: str = "headers", interval_s: float = 0.5) -> Route:
        """Answer ``path`` one byte every ``interval_s`` seconds, never finishing:
        ``part="headers"`` trickles the status line and headers, ``"body"`` the body."""
        assert part in ("headers", "body")
        route = Route(trickle_s=interval_s, trickle_part=part)
        self.routes[path] = route
        return route

    def hits(self, path: str) -> int:
        """How many requests arrived for ``path`` (query string ignored)."""
        return sum(1 for _, p, _ in self.requests if urlsplit(p).path == path)

    # -- used by the handler -----------------------------------------------
    def _record(self, method: str, path: str, headers: Headers) -> None:
        with self._lock:
            self.requests.append((method, path, headers))

    def _lookup(self, target: str) -> Route | None:
        return self.routes.get(target) or self.routes.get(urlsplit(target).path)


def _not_modified(route: Route, headers: Headers) -> bool:
    """Whether a conditional request matches the route's validators."""
    inm = headers.get("if-none-match")
    if route.etag is not None and inm is not None:
        tags = [t.strip() for t in inm.split(",")]
        return "*" in tags or route.etag in tags
    ims = headers.get("if-modified-since")
    if route.last_modified is not None and ims is not None:
        if ims == route.last_modified:
            return True
        try:
            return parsedate_to_datetime(ims) >= parsedate_to_datetime(route.last_modified)
        except (TypeError, ValueError):
            return False
    return False


def _chunks(route: Route) -> Iterator[bytes]:
    block = b"<p>" + b"x" * max(route.chunk_size - 8, 1) + b"</p>\n"
    sent = 0
    while route.stream_total is None or sent < route.stream_total:
        piece = block
        if route.stream_total is not None:
            piece = block[: route.stream_total - sent]
        sent += len(piece)
        yield piece


def _make_handler(server: WebServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        # HTTP/1.0: every answer ends by closing the connection, which is what
        # lets the streaming route omit Content-Length.
        protocol_version = "HTTP/1.0"

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep pytest output clean

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def _answer(self, *, send_body: bool) -> None:
            with server._lock:
                server.in_flight += 1
                server.most_in_flight = max(server.most_in_flight, server.in_flight)
            try:
                self._answer_counted(send_body=send_body)
            finally:
                with server._lock:
                    server.in_flight -= 1

        def _answer_counted(self, *, send_body: bool) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            server._record(self.command, self.path, headers)
            route = server._lookup(self.path)
            if route is None:
                route = Route(body=b"not found", status=404, content_type="text/plain")
            if route.delay_s and server.stopping.wait(route.delay_s):
                return
            try:
                if _not_modified(route, headers):
                    self._send_not_modified(route)
                elif route.trickle_s:
                    self._send_trickle(route)
                elif route.stream:
                    self._send_stream(route, send_body)
                else:
                    self._send_plain(route, send_body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up (byte cap, timeout): expected in tests

        def _send_head(self, route: Route, status: int) -> None:
            self.send_response(status)
            if route.content_type is not None and status != 304:
                self.send_header("Content-Type", route.content_type)
            if route.etag is not None:
                self.send_header("ETag", route.etag)
            if route.last_modified is not None:
                self.send_header("Last-Modified", route.last_modified)
            for name, value in route.headers.items():
                self.send_header(name, value)

        def _send_not_modified(self, route: Route) -> None:
            self._send_head(route, 304)
            self.end_headers()

        def _send_plain(self, route: Route, send_body: bool) -> None:
            self._send_head(route, route.status)
            if not any(k.lower() == "content-length" for k in route.headers):
                self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            if send_body:
                self.wfile.write(route.body)

        def _send_stream(self, route: Route, send_body: bool) -> None:
            self._send_head(route, route.status)
            self.end_headers()
            if not send_body:
                return
            for chunk in _chunks(route):
                if server.stopping.is_set():
                    return
                self.wfile.write(chunk)
                time.sleep(0)  # yield so teardown can interleave

        def _send_trickle(self, route: Route) -> None:
            head = b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            if route.trickle_part == "body":
                self.wfile.write(head + b"\r\n")
                head = b""
            else:
                head += b"X-Padding: "  # a header that never ends
            for byte in _endless(head, b"x" if head else b"<p>x"):
                if server.stopping.wait(route.trickle_s):
                    return
                self.wfile.write(byte)

    return Handler


def _endless(first: bytes, then: bytes) -> Iterator[bytes]:
    """``first`` then ``then`` repeated forever, one byte at a time."""
    yield from (first[i:i + 1] for i in range(len(first)))
    while True:
        yield from (then[i:i + 1] for i in range(len(then)))


@pytest.fixture
def web() -> Iterator[WebServer]:
    """A fresh local HTTP server per test (function scope)."""
    server = WebServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
