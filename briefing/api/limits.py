"""Request body caps: 413 before a large upload is read into memory.

Content-Length is checked up front, and the body is counted as it streams in (chunked
uploads carry no length), so at most cap + 1 bytes are ever read. The body read so far is
then replayed to the application unchanged.

Routes made for big files (subscriber imports) get their own, larger cap and are not
buffered here: their body streams through to the route, which spools it to disk, and the
count raises `BodyTooLarge` as soon as it passes the cap.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from briefing.api.errors import error_response


def _too_large(cap: int, setting: str = "BRIEFING_MAX_ARTICLE_BYTES") -> str:
    return f"the request body is larger than the {cap:,}-byte limit ({setting})"


class BodyTooLarge(Exception):
    """A streamed body passed its route's cap (see `BodyLimit.streamed`)."""

    def __init__(self, cap: int, setting: str) -> None:
        super().__init__(_too_large(cap, setting))


async def body_too_large(_: Request, exc: Exception) -> Response:
    return error_response(413, str(exc))


class StreamedRoute:
    """Paths matching `pattern` get `cap` (named by `setting`) and are not buffered here."""

    def __init__(self, pattern: str, cap: int, setting: str) -> None:
        self.pattern, self.cap, self.setting = re.compile(pattern), cap, setting


def _declared_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length", "").strip()
    return int(value) if value.isdigit() else None


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int,
                 streamed: tuple[StreamedRoute, ...] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.streamed = streamed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        route = next((r for r in self.streamed if r.pattern.fullmatch(scope["path"])), None)
        if route is not None:
            if declared is not None and declared > route.cap:
                message = _too_large(route.cap, route.setting)
                await error_response(413, message)(scope, receive, send)
                return
            await self.app(scope, _counting(receive, route), send)
            return
        body = None if declared is not None and declared > self.max_bytes else await self._read(
            receive)
        if body is None:
            await error_response(413, _too_large(self.max_bytes))(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it grows past the cap."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return b"".join(chunks)  # client went away; the app will notice
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _counting(receive: Receive, route: StreamedRoute) -> Receive:
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > route.cap:
                raise BodyTooLarge(route.cap, route.setting)
        return message

    return counted


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # later calls wait for the disconnect, as usual
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
