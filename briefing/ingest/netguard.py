"""Which addresses an outbound fetch may contact, enforced where the socket opens.

Threat model
------------
Users hand us URLs (articles, feeds) and the servers behind them choose where
to redirect. Without a guard, a URL such as ``http://169.254.169.254/`` or
``http://localhost:6379/`` makes this server fetch from its own network on the
user's behalf (SSRF): cloud metadata credentials, admin interfaces, databases.
So only public addresses may be contacted, and internal host names (cloud
metadata services, ``*.internal``, ``localhost``...) are refused by name.

DNS rebinding
-------------
Checking a hostname's addresses and *then* letting the HTTP client resolve it
again is racy: a hostile DNS server can answer with a public address for the
check and ``127.0.0.1`` for the connection. So the check lives in the
connection layer instead. :class:`_PinnedBackend` is an httpcore network
backend: when httpcore asks it to open a TCP connection to a host, it resolves
the host once, refuses the connection if *any* resolved address is non-public,
and then connects to one of exactly those validated IPs. httpcore still uses
the original hostname for the ``Host`` header and as the TLS SNI / certificate
hostname, so HTTPS keeps working unchanged.

:class:`PinnedTransport` plugs that backend into httpx. The caller
(:func:`briefing.ingest.fetch.fetch`) must follow redirects by hand so every hop opens
its connections through the same backend and gets the same check, and must
ignore proxies from the environment (``trust_env=False``), because a proxy
would make the connection-level check meaningless.

Deadline
--------
httpx's timeouts bound each socket operation, not a fetch: a server sending one byte
every half second never trips a read timeout. So the backend also carries the fetch's
deadline (a :class:`Deadline`): the DNS lookup, every connect, TLS handshake, read and
write get at most the time left, and an expired deadline fails the next operation.

Failures surface as :class:`Blocked` and :class:`Unresolvable`, which carry no
URL; the caller knows the URL and turns them into user-facing errors.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import httpcore
import httpx

__all__ = [
    "Blocked",
    "Deadline",
    "DeadlinePassed",
    "IPAddress",
    "PinnedTransport",
    "Unresolvable",
    "is_public_address",
]

# --------------------------------------------------------------------------
# Address policy
# --------------------------------------------------------------------------

# Cloud metadata services reachable by name from inside VMs/containers.
_BLOCKED_HOSTNAMES = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "localhost",
    }
)
_BLOCKED_SUFFIXES = (".localhost", ".internal", ".local", ".home.arpa")

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_public_address(ip: IPAddress) -> bool:
    """Whether connecting to ``ip`` is safe for a server-side fetch."""
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv6 address can smuggle an IPv4 one (::ffff:127.0.0.1,
        # 2002:7f00:1::, 64:ff9b::a00:1); judge the embedded address.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
    # is_global alone misses multicast (and CGNAT on some Python versions).
    return not (
        not ip.is_global
        or ip.is_multicast
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_unspecified
        or (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT)
    )


def _is_blocked_hostname(host: str) -> bool:
    name = host.rstrip(".").lower()
    return name in _BLOCKED_HOSTNAMES or name.endswith(_BLOCKED_SUFFIXES)


def _literal_ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _resolve(host: str, port: int) -> list[str]:
    """All IP addresses ``host`` resolves to (indirection so tests can fake DNS)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class Blocked(Exception):
    """Raised inside the connection layer; the caller turns it into an error with the URL."""

    def __init__(self, host: str, reason: str):
        super().__init__(reason)
        self.host = host
        self.reason = reason


class Unresolvable(Exception):
    """``host`` has no addresses; ``transient`` when the DNS failure may clear up."""

    def __init__(self, host: str, transient: bool):
        super().__init__(host)
        self.host = host
        self.transient = transient


def _check_host_name(host: str) -> None:
    """Refuse names and literal IPs that are non-public without touching the network."""
    if _is_blocked_hostname(host):
        raise Blocked(host, f"{host} is an internal host name")
    ip = _literal_ip(host)
    if ip is not None and not is_public_address(ip):
        raise Blocked(host, f"{ip} is a private, local or reserved address")


def _check_resolved(host: str, addresses: list[str]) -> None:
    # Every address must pass: a client (or a retry) could pick any of them.
    for address in addresses:
        ip = _literal_ip(address)
        if ip is None or not is_public_address(ip):
            raise Blocked(host, f"{host} resolves to {address}, a private or local address")


# --------------------------------------------------------------------------
# The deadline of one fetch
# --------------------------------------------------------------------------


class DeadlinePassed(httpcore.TimeoutException):
    """The fetch ran out of time (not one slow read: the whole fetch's deadline)."""


T = TypeVar("T")


class Deadline:
    """A moment on the monotonic clock by which a whole fetch must be done."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._at = time.monotonic() + seconds

    @property
    def passed(self) -> bool:
        return time.monotonic() >= self._at

    def within(self, timeout: float | None, operation: Callable[[float], T]) -> T:
        """Run ``operation(t)`` with ``t`` the smaller of ``timeout`` and the time left.
        When the time left was the smaller, its timeout is this deadline passing."""
        left = self._at - time.monotonic()
        if left <= 0:
            raise DeadlinePassed(f"the {self.seconds:g} s deadline passed")
        if timeout is not None and timeout < left:
            return operation(timeout)
        try:
            return operation(left)
        except httpcore.TimeoutException as exc:
            raise DeadlinePassed(f"the {self.seconds:g} s deadline passed") from exc


def _resolve_before(deadline: Deadline, host: str, port: int) -> list[str]:
    """``_resolve`` bounded by the deadline. getaddrinfo cannot be interrupted, so it runs
    in a daemon thread that is abandoned (it ends with the resolver's own timeout)."""
    found: list[list[str]] = []
    failed: list[BaseException] = []

    def lookup() -> None:
        try:
            found.append(_resolve(host, port))
        except BaseException as exc:  # handed to the waiting thread, which re-raises it
            failed.append(exc)

    def wait(seconds: float) -> list[str]:
        thread.join(seconds)
        if failed:
            raise failed[0]
        if not found:
            raise httpcore.ConnectTimeout(f"looking up {host} took too long")
        return found[0]

    thread = threading.Thread(target=lookup, name=f"dns {host}", daemon=True)
    thread.start()
    return deadline.within(None, wait)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation gets at most the time left before the deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._deadline.within(timeout, lambda t: self._stream.read(max_bytes, t))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._deadline.within(timeout, lambda t: self._stream.write(buffer, t))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        tls = self._deadline.within(
            timeout, lambda t: self._stream.start_tls(ssl_context, server_hostname, t))
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


# --------------------------------------------------------------------------
# Pinned connections
# --------------------------------------------------------------------------

# The real socket layer; tests may swap it to reroute a validated address.
_RAW_BACKEND: httpcore.NetworkBackend = httpcore.SyncBackend()

# A host with many A/AAAA records should not multiply the connect timeout.
_MAX_ADDRESSES_TRIED = 3


class _PinnedBackend(httpcore.NetworkBackend):
    """Resolve once, validate every address, connect only to validated IPs, and keep
    every step of the connection inside the fetch's deadline."""

    def __init__(self, allow_private: bool, deadline: Deadline) -> None:
        self._allow_private = allow_private
        self._deadline = deadline

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._validated_addresses(host, port)
        last_error: Exception | None = None
        for address in addresses[:_MAX_ADDRESSES_TRIED]:
            try:
                return self._connect(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc  # a passed deadline (DeadlinePassed) tries no other address
        assert last_error is not None  # addresses is never empty
        raise last_error

    def _connect(self, address: str, port: int, timeout: float | None,
                 local_address: str | None, socket_options: Iterable[Any] | None,
                 ) -> httpcore.NetworkStream:
        def attempt(seconds: float) -> httpcore.NetworkStream:
            return _RAW_BACKEND.connect_tcp(address, port, seconds, local_address,
                                            socket_options)
        return _DeadlineStream(self._deadline.within(timeout, attempt), self._deadline)

    def _validated_addresses(self, host: str, port: int) -> list[str]:
        if not self._allow_private:
            _check_host_name(host)
        literal = _literal_ip(host)
        if literal is not None:
            return [str(literal)]
        try:
            addresses = _resolve_before(self._deadline, host, port)
        except socket.gaierror as exc:
            raise Unresolvable(host, transient=exc.errno == socket.EAI_AGAIN) from exc
        if not addresses:
            raise Unresolvable(host, transient=True)
        if not self._allow_private:
            _check_resolved(host, addresses)
        return addresses

    def sleep(self, seconds: float) -> None:
        _RAW_BACKEND.sleep(seconds)


@functools.cache
def _shared_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process. Building one reads the whole CA bundle (~30 ms
    here), which was three quarters of a feed poll that the server answered with 304; a
    context is safe to share between connections and threads, and never changes."""
    return httpx.create_ssl_context()


class PinnedTransport(httpx.BaseTransport):
    """An httpx transport over an httpcore pool that uses :class:`_PinnedBackend`.

    httpx's own HTTPTransport cannot take a network backend, so this is a
    minimal equivalent. httpcore exceptions (and :class:`Blocked` /
    :class:`Unresolvable`) are left as they are for the caller, which knows
    the URL, to map to user-facing errors.
    """

    def __init__(self, allow_private: bool, deadline: Deadline) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=_shared_ssl_context(),
            max_connections=4,
            network_backend=_PinnedBackend(allow_private, deadline),
            retries=0,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        core_response = self._pool.handle_request(core_request)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_CoreStream(core_response),
            extensions=core_response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


class _CoreStream(httpx.SyncByteStream):
    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        stream = self._response.stream
        assert isinstance(stream, Iterable)
        yield from stream

    def close(self) -> None:
        self._response.close()
