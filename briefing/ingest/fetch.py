"""The single gateway for outbound HTTP.

Every URL a user gives us (articles, feeds) and every redirect hop goes through
:func:`fetch`, which enforces a :class:`FetchPolicy`: http(s) only, bounded
time and size, an allow-list of content types, and SSRF protection.

The SSRF protection (which addresses may be contacted, and pinning each
connection to the address that was checked) lives in :mod:`briefing.ingest.netguard`;
its docstring explains the threat model. This module keeps the two promises
that defence needs from its caller: redirects are followed by hand, so every
hop connects through the guarded transport, and proxies from the environment
are ignored (``trust_env=False``), because a proxy would make the
connection-level check meaningless.

``FetchPolicy.total_timeout`` is the deadline for the whole fetch: DNS, connects, TLS,
headers, body and every redirect hop together (enforced in the connection layer, see
:class:`briefing.ingest.netguard.Deadline`); ``read_timeout`` only bounds one silent read.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

import httpcore
import httpx

from briefing.core.errors import RemoteFailure
from briefing.ingest.content import decode_body, sniff_type, split_content_type, type_accepted
from briefing.ingest.netguard import (
    Blocked,
    Deadline,
    DeadlinePassed,
    PinnedTransport,
    Unresolvable,
)

__all__ = [
    "BlockedAddressError",
    "ContentTypeError",
    "FetchError",
    "FetchPolicy",
    "FetchResult",
    "FetchTimeoutError",
    "HTTPStatusError",
    "TooLargeError",
    "TooManyRedirectsError",
    "fetch",
]

DEFAULT_ACCEPT: tuple[str, ...] = (
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "text/markdown",
)


@dataclass(frozen=True)
class FetchPolicy:
    """Limits applied to one :func:`fetch` call (including all redirect hops)."""

    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5
    allow_private: bool = False  # tests' local server needs True
    user_agent: str = "briefing/0.1 (+https://github.com/briefing)"
    accept: tuple[str, ...] = DEFAULT_ACCEPT
    # read_timeout bounds each socket read; a server trickling one byte every
    # few seconds would never trip it, so the whole fetch also has a deadline.
    total_timeout: float = 15.0


@dataclass(frozen=True)
class FetchResult:
    url: str  # final URL after redirects
    status: int  # 200 (or another 2xx), or 304 when not modified
    content_type: str  # media type without params, lower-case
    charset: str | None
    body: bytes
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def text(self) -> str:
        """The body decoded with the declared charset, else sniffed; never raises."""
        return decode_body(self.body, self.charset)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


class FetchError(RemoteFailure):
    """A fetch failed. ``str(err)`` is a user-facing message naming the URL.

    ``transient`` tells callers whether retrying later may help.
    """

    default_transient = False

    def __init__(self, message: str, *, url: str | None = None, transient: bool | None = None):
        super().__init__(message)
        self.message = message
        self.url = url
        self.transient = self.default_transient if transient is None else transient


class FetchTimeoutError(FetchError):
    """The whole fetch (DNS, connect, headers, body, redirects) outlasted its deadline."""

    default_transient = True


class BlockedAddressError(FetchError):
    """The URL points at a private, local or otherwise non-public address."""


class TooLargeError(FetchError):
    """The body exceeds ``FetchPolicy.max_bytes``."""


class ContentTypeError(FetchError):
    """The server answered with a type that is not a page or feed (PDF, image...)."""


class TooManyRedirectsError(FetchError):
    """More than ``max_redirects`` hops, or a redirect loop."""


class HTTPStatusError(FetchError):
    """The server answered with an error status. 5xx, 429 and 408 are transient."""

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int,
        retry_after: float | None = None,
    ):
        super().__init__(message, url=url, transient=_is_transient_status(status))
        self.status = status
        self.retry_after = retry_after  # seconds, from a Retry-After header


def _is_transient_status(status: int) -> bool:
    return status >= 500 or status in (408, 425, 429)


# --------------------------------------------------------------------------
# fetch()
# --------------------------------------------------------------------------

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def fetch(
    url: str,
    policy: FetchPolicy = FetchPolicy(),  # frozen, so sharing the default is safe
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    accept: tuple[str, ...] | None = None,
) -> FetchResult:
    """GET ``url`` under ``policy``; raise a :class:`FetchError` subclass on any failure.

    ``etag``/``last_modified`` make the request conditional; an unchanged
    resource yields a result with ``status == 304`` and an empty body.
    ``accept`` overrides ``policy.accept`` for this call.
    """
    accepted = accept if accept is not None else policy.accept
    deadline = Deadline(policy.total_timeout)
    headers = _request_headers(policy, accepted, etag, last_modified)
    timeout = httpx.Timeout(
        connect=policy.connect_timeout,
        read=policy.read_timeout,
        write=policy.read_timeout,
        pool=policy.connect_timeout,
    )
    with httpx.Client(
        transport=PinnedTransport(policy.allow_private, deadline),
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
    ) as client:
        current = _parse_url(url)
        visited = {str(current)}
        for _hop in range(policy.max_redirects + 1):
            result, location = _fetch_once(
                client, current, headers, policy, accepted, deadline, etag, last_modified
            )
            if result is not None:
                return result
            assert location is not None
            target = _redirect_target(current, location)
            if str(target) in visited:
                raise TooManyRedirectsError(
                    f"{url} redirects in a loop (back to {target})", url=url
                )
            visited.add(str(target))
            current = target
    raise TooManyRedirectsError(f"{url} redirects more than {policy.max_redirects} times", url=url)


def _request_headers(
    policy: FetchPolicy,
    accepted: tuple[str, ...],
    etag: str | None,
    last_modified: str | None,
) -> dict[str, str]:
    headers = {
        "User-Agent": policy.user_agent,
        # A low-priority wildcard avoids 406s from picky servers; we still
        # check the answer's type ourselves.
        "Accept": ", ".join([*accepted, "*/*;q=0.1"]),
        "Accept-Language": "en;q=0.9, *;q=0.5",
    }
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    return headers


def _parse_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise FetchError(f"{url} is not a valid URL", url=url) from exc
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"{url} is not an http(s) URL", url=url)
    if not parsed.host:
        raise FetchError(f"{url} has no host name", url=url)
    return parsed


def _redirect_target(current: httpx.URL, location: str) -> httpx.URL:
    try:
        target = current.join(location.strip())
    except (httpx.InvalidURL, ValueError) as exc:
        raise FetchError(
            f"{current} redirects to an invalid URL ({location})", url=str(current)
        ) from exc
    if target.scheme not in ("http", "https") or not target.host:
        raise FetchError(f"{current} redirects to {target}, which is not a web address")
    return target


def _fetch_once(
    client: httpx.Client,
    url: httpx.URL,
    headers: dict[str, str],
    policy: FetchPolicy,
    accepted: tuple[str, ...],
    deadline: Deadline,
    etag: str | None,
    last_modified: str | None,
) -> tuple[FetchResult | None, str | None]:
    """One request. Returns (result, None) when done or (None, location) to redirect."""
    shown = str(url)
    host = url.host
    try:
        with client.stream("GET", url, headers=headers) as response:
            status = response.status_code
            if status in _REDIRECT_STATUSES:
                location = response.headers.get("location")
                if not location:
                    raise HTTPStatusError(
                        f"{shown} redirects without saying where to", url=shown, status=status
                    )
                return None, location
            if status == 304:
                return _not_modified_result(response, shown, etag, last_modified), None
            if status >= 300 or status < 200:
                raise _status_error(response, shown)
            return _read_result(response, shown, policy, accepted, deadline), None
    except DeadlinePassed as exc:
        raise _deadline_error(shown, deadline) from exc
    except Blocked as exc:
        raise BlockedAddressError(f"refusing to fetch {shown}: {exc.reason}", url=shown) from exc
    except Unresolvable as exc:
        raise FetchError(
            f"could not find the server for {shown} ({exc.host} does not resolve)",
            url=shown,
            transient=exc.transient,
        ) from exc
    except (httpcore.ConnectTimeout, httpx.ConnectTimeout, httpcore.PoolTimeout) as exc:
        raise FetchError(f"timed out connecting to {host}", url=shown, transient=True) from exc
    except (httpcore.TimeoutException, httpx.TimeoutException) as exc:
        raise FetchError(
            f"timed out waiting for {shown} to respond", url=shown, transient=True
        ) from exc
    except (httpcore.ConnectError, httpx.ConnectError) as exc:
        raise FetchError(
            f"could not connect to {host} for {shown}{_os_reason(exc)}", url=shown, transient=True
        ) from exc
    except (
        httpcore.NetworkError,
        httpcore.ProtocolError,
        httpx.NetworkError,
        httpx.ProtocolError,
        httpx.DecodingError,
    ) as exc:
        raise FetchError(
            f"the connection to {host} failed while fetching {shown}", url=shown, transient=True
        ) from exc
    except (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise FetchError(f"{shown} is not a URL we can fetch", url=shown) from exc


def _deadline_error(url: str, deadline: Deadline) -> FetchTimeoutError:
    # Starts with "timed out", like every timeout message: faces map those to 504.
    return FetchTimeoutError(
        f"timed out: {url} did not arrive within {deadline.seconds:g} s", url=url)


def _os_reason(exc: BaseException) -> str:
    """A short human reason such as ': connection refused', if one is known."""
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, OSError) and cause.errno is not None:
        name = {errno.ECONNREFUSED: "connection refused", errno.EHOSTUNREACH: "host unreachable"}
        reason = name.get(cause.errno)
        if reason:
            return f": {reason}"
    return ""


def _status_error(response: httpx.Response, url: str) -> HTTPStatusError:
    status = response.status_code
    if status in (404, 410):
        message = f"{url} was not found (HTTP {status})"
    elif status in (401, 403):
        message = f"{url} refused access (HTTP {status})"
    elif status == 429:
        message = f"{url} is rate-limiting us (HTTP 429); try again later"
    elif status >= 500:
        message = f"{url} had a server error (HTTP {status}); try again later"
    else:
        message = f"{url} answered HTTP {status}"
    return HTTPStatusError(
        message, url=url, status=status, retry_after=_retry_after(response.headers)
    )


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after", "").strip()
    return float(value) if value.isdigit() else None


def _not_modified_result(
    response: httpx.Response, url: str, etag: str | None, last_modified: str | None
) -> FetchResult:
    media_type, charset = split_content_type(response.headers.get("content-type"))
    return FetchResult(
        url=url,
        status=304,
        content_type=media_type or "",
        charset=charset,
        body=b"",
        # A 304 may carry fresh validators; otherwise the ones we sent still hold.
        etag=response.headers.get("etag") or etag,
        last_modified=response.headers.get("last-modified") or last_modified,
    )


def _read_result(
    response: httpx.Response,
    url: str,
    policy: FetchPolicy,
    accepted: tuple[str, ...],
    deadline: Deadline,
) -> FetchResult:
    media_type, charset = split_content_type(response.headers.get("content-type"))
    # Reject by header before downloading a PDF or video we would discard.
    if media_type is not None:
        _check_type(url, media_type, accepted)
    _check_declared_length(response, url, policy.max_bytes)
    body = _read_capped(response, url, policy.max_bytes, deadline)
    if media_type is None:
        media_type = sniff_type(body)
        _check_type(url, media_type, accepted)
    return FetchResult(
        url=url,
        status=response.status_code,
        content_type=media_type,
        charset=charset,
        body=body,
        etag=response.headers.get("etag"),
        last_modified=response.headers.get("last-modified"),
    )


def _check_declared_length(response: httpx.Response, url: str, max_bytes: int) -> None:
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise TooLargeError(_too_large_message(url, max_bytes), url=url)


def _read_capped(response: httpx.Response, url: str, max_bytes: int, deadline: Deadline
                 ) -> bytes:
    # iter_bytes() yields *decompressed* data, so the cap also stops gzip bombs.
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise TooLargeError(_too_large_message(url, max_bytes), url=url)
        if deadline.passed:  # a server sending fast but without end, just under the cap
            raise _deadline_error(url, deadline)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large_message(url: str, max_bytes: int) -> str:
    return f"{url} is larger than the {_human_size(max_bytes)} limit"


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.3g} MB"
    if n >= 1024:
        return f"{n / 1024:.3g} KB"
    return f"{n} bytes"


def _check_type(url: str, media_type: str, accepted: tuple[str, ...]) -> None:
    if not type_accepted(media_type, accepted):
        raise ContentTypeError(f"{url} is {media_type}, not a web page or feed", url=url)
