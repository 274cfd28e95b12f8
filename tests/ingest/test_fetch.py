"""Tests for briefing.ingest.fetch, all against the local ``web`` server (no internet)."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Iterable
from typing import Any

import httpcore
import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefing.ingest import netguard
from briefing.ingest.content import decode_body
from briefing.ingest.fetch import (
    BlockedAddressError,
    ContentTypeError,
    FetchError,
    FetchPolicy,
    HTTPStatusError,
    TooLargeError,
    TooManyRedirectsError,
    fetch,
)
from briefing.ingest.netguard import is_public_address
from tests.support.web import WebServer

LOCAL = FetchPolicy(allow_private=True)
PAGE = "<html><head><title>T</title></head><body><p>Hello, world.</p></body></html>"
PUBLIC_IP = "93.184.216.34"  # what our fake DNS answers for the fake public host


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RecordingBackend(httpcore.NetworkBackend):
    """Stands in for the socket layer: records connects, optionally reroutes them."""

    def __init__(self, reroute: dict[str, tuple[str, int]] | None = None) -> None:
        self.connects: list[tuple[str, int]] = []
        self._reroute = reroute
        self._real = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.connects.append((host, port))
        if self._reroute is None or host not in self._reroute:
            raise AssertionError(f"unexpected connection to {host}:{port}")
        real_host, real_port = self._reroute[host]
        return self._real.connect_tcp(real_host, real_port, timeout, local_address, socket_options)


# --------------------------------------------------------------------------
# Happy paths
# --------------------------------------------------------------------------


def test_fetches_page_with_metadata(web: WebServer) -> None:
    web.route(
        "/a", PAGE, headers={"ETag": '"abc"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
    )
    result = fetch(web.url("/a"), LOCAL)
    assert result.status == 200
    assert not result.not_modified
    assert result.url == web.url("/a")
    assert result.content_type == "text/html"
    assert result.charset == "utf-8"
    assert result.text() == PAGE
    assert result.etag == '"abc"'
    assert result.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"


def test_sends_user_agent_and_accept(web: WebServer) -> None:
    web.route("/a", PAGE)
    fetch(web.url("/a"), FetchPolicy(allow_private=True, user_agent="ua-test/1"))
    _, _, headers = web.requests[0]
    assert headers["user-agent"] == "ua-test/1"
    assert "text/html" in headers["accept"]
    assert "application/rss+xml" in headers["accept"]


def test_follows_redirects_and_reports_final_url(web: WebServer) -> None:
    web.route("/final", PAGE)
    web.redirect("/one", "/two", status=301)
    web.redirect("/two", web.url("/final"), status=307)
    result = fetch(web.url("/one"), LOCAL)
    assert result.url == web.url("/final")
    assert [path for _, path, _ in web.requests] == ["/one", "/two", "/final"]


def test_latin1_page_is_decoded(web: WebServer) -> None:
    html = "<html><body><p>Café crème, naïve façade</p></body></html>"
    web.route("/l", html.encode("latin-1"), content_type="text/html; charset=ISO-8859-1")
    result = fetch(web.url("/l"), LOCAL)
    assert result.charset == "ISO-8859-1"
    assert "Café crème, naïve façade" in result.text()


def test_charset_from_meta_tag_when_header_has_none(web: WebServer) -> None:
    html = '<html><head><meta charset="windows-1252"></head><body>“quoted” é</body></html>'
    web.route("/m", html.encode("cp1252"), content_type="text/html")
    result = fetch(web.url("/m"), LOCAL)
    assert result.charset is None
    assert "“quoted” é" in result.text()


def test_missing_content_type_is_sniffed(web: WebServer) -> None:
    web.route("/feed", b'<?xml version="1.0"?><rss version="2.0"></rss>', content_type=None)
    web.route("/bin", b"\x00\x01\x02binary", content_type=None)
    assert fetch(web.url("/feed"), LOCAL).content_type == "application/xml"
    with pytest.raises(ContentTypeError):
        fetch(web.url("/bin"), LOCAL)


def test_conditional_get_returns_304_with_empty_body(web: WebServer) -> None:
    web.route("/feed", "<rss/>", content_type="application/rss+xml", etag='"v1"')
    first = fetch(web.url("/feed"), LOCAL)
    assert first.status == 200
    assert first.etag == '"v1"'
    second = fetch(web.url("/feed"), LOCAL, etag=first.etag)
    assert second.status == 304
    assert second.not_modified
    assert second.body == b""
    assert second.etag == '"v1"'
    assert web.requests[1][2]["if-none-match"] == '"v1"'


def test_conditional_get_by_last_modified(web: WebServer) -> None:
    stamp = "Tue, 02 Jan 2024 10:00:00 GMT"
    web.route("/feed", "<rss/>", content_type="application/rss+xml", last_modified=stamp)
    result = fetch(web.url("/feed"), LOCAL, last_modified=stamp)
    assert result.not_modified
    assert result.last_modified == stamp


def test_accept_override_allows_other_types(web: WebServer) -> None:
    web.route("/doc.pdf", b"%PDF-1.4", content_type="application/pdf")
    result = fetch(web.url("/doc.pdf"), LOCAL, accept=("application/pdf",))
    assert result.content_type == "application/pdf"


# --------------------------------------------------------------------------
# Failures
# --------------------------------------------------------------------------


def test_unreachable_port_is_transient_error() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/"
    with pytest.raises(FetchError) as info:
        fetch(url, LOCAL)
    assert info.value.transient
    assert "127.0.0.1" in str(info.value)


def test_404_is_permanent(web: WebServer) -> None:
    with pytest.raises(HTTPStatusError) as info:
        fetch(web.url("/missing"), LOCAL)
    assert info.value.status == 404
    assert not info.value.transient
    assert web.url("/missing") in str(info.value)


def test_410_is_permanent(web: WebServer) -> None:
    web.route("/gone", "gone", status=410)
    with pytest.raises(HTTPStatusError) as info:
        fetch(web.url("/gone"), LOCAL)
    assert (info.value.status, info.value.transient) == (410, False)


def test_500_is_transient(web: WebServer) -> None:
    web.route("/boom", "oops", status=500)
    with pytest.raises(HTTPStatusError) as info:
        fetch(web.url("/boom"), LOCAL)
    assert (info.value.status, info.value.transient) == (500, True)


def test_429_is_transient_with_retry_after(web: WebServer) -> None:
    web.route("/busy", "slow down", status=429, headers={"Retry-After": "120"})
    with pytest.raises(HTTPStatusError) as info:
        fetch(web.url("/busy"), LOCAL)
    assert info.value.transient
    assert info.value.retry_after == 120.0


def test_pdf_is_refused_without_downloading(web: WebServer) -> None:
    web.route("/file.pdf", b"%PDF-1.4" + b"0" * 1000, content_type="application/pdf")
    with pytest.raises(ContentTypeError) as info:
        fetch(web.url("/file.pdf"), LOCAL)
    assert str(info.value) == f"{web.url('/file.pdf')} is application/pdf, not a web page or feed"
    assert not info.value.transient


def test_redirect_loop(web: WebServer) -> None:
    web.redirect("/a", "/b")
    web.redirect("/b", "/a")
    with pytest.raises(TooManyRedirectsError) as info:
        fetch(web.url("/a"), LOCAL)
    assert not info.value.transient
    assert web.hits("/a") == 1


def test_too_many_redirects(web: WebServer) -> None:
    for i in range(10):
        web.redirect(f"/r{i}", f"/r{i + 1}")
    web.route("/r10", PAGE)
    with pytest.raises(TooManyRedirectsError):
        fetch(web.url("/r0"), FetchPolicy(allow_private=True, max_redirects=3))
    assert len(web.requests) == 4  # the first request plus three hops


def test_endless_body_is_capped(web: WebServer) -> None:
    web.stream("/endless")
    with pytest.raises(TooLargeError) as info:
        fetch(web.url("/endless"), FetchPolicy(allow_private=True, max_bytes=256 * 1024))
    assert not info.value.transient
    assert "256 KB" in str(info.value)


def test_declared_length_over_cap_is_refused(web: WebServer) -> None:
    web.route("/big", b"x" * 20_000)
    with pytest.raises(TooLargeError):
        fetch(web.url("/big"), FetchPolicy(allow_private=True, max_bytes=10_000))


def test_body_exactly_at_cap_is_fine(web: WebServer) -> None:
    web.stream("/exact", total_bytes=10_000, content_type="text/plain")
    assert len(
        fetch(web.url("/exact"), FetchPolicy(allow_private=True, max_bytes=10_000)).body
    ) == (10_000)


def test_read_timeout_is_transient(web: WebServer) -> None:
    web.slow("/slow", 5.0)
    with pytest.raises(FetchError) as info:
        fetch(web.url("/slow"), FetchPolicy(allow_private=True, read_timeout=0.2))
    assert info.value.transient
    assert "timed out" in str(info.value)


# The deadline covers the whole fetch. Servers below trickle for hours, one byte at a time
# (so no per-read timeout ever fires); the pytest timeout is only the backstop for a fetch
# that would wait for them.
DEADLINE = FetchPolicy(allow_private=True, total_timeout=1.0, read_timeout=30.0)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_trickling_server_is_cut_off_at_the_deadline(web: WebServer, part: str) -> None:
    web.trickle("/drip", part=part)
    with pytest.raises(FetchError) as info:
        fetch(web.url("/drip"), DEADLINE)
    assert info.value.transient
    assert str(info.value) == f"timed out: {web.url('/drip')} did not arrive within 1 s"


@pytest.mark.timeout(30)
def test_redirect_hops_share_one_deadline(web: WebServer) -> None:
    for n in range(8):
        web.redirect(f"/hop{n}", f"/hop{n + 1}").delay_s = 0.4
    web.route("/hop8", PAGE)
    with pytest.raises(FetchError, match="did not arrive within 1 s"):
        fetch(web.url("/hop0"), FetchPolicy(allow_private=True, total_timeout=1.0,
                                            max_redirects=10))
    assert web.hits("/hop8") == 0


@pytest.mark.timeout(30)
def test_a_dns_lookup_that_hangs_is_cut_off_at_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    released = threading.Event()

    def hanging_dns(host: str, port: int) -> list[str]:
        released.wait(60)
        return [PUBLIC_IP]

    monkeypatch.setattr(netguard, "_RAW_BACKEND", RecordingBackend())
    monkeypatch.setattr(netguard, "_resolve", hanging_dns)
    try:
        with pytest.raises(FetchError, match="did not arrive within 1 s") as info:
            fetch("http://slow-dns.example.com/story", FetchPolicy(total_timeout=1.0))
        assert info.value.transient
    finally:
        released.set()


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/file", "file:///etc/passwd", "http:///nohost", "not a url", ""],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(FetchError) as info:
        fetch(url)
    assert not info.value.transient


# --------------------------------------------------------------------------
# SSRF
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost/",
        "http://[::1]/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://[fd00::1]/",
        "http://[fe80::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",  # 127.0.0.1 as a decimal integer
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://api.localhost/",
    ],
)
def test_private_targets_refused_without_connecting(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = RecordingBackend()
    monkeypatch.setattr(netguard, "_RAW_BACKEND", backend)
    with pytest.raises(BlockedAddressError) as info:
        fetch(url)
    assert backend.connects == []
    assert not info.value.transient
    assert url in str(info.value)


def test_hostname_resolving_to_any_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = RecordingBackend()
    monkeypatch.setattr(netguard, "_RAW_BACKEND", backend)
    monkeypatch.setattr(netguard, "_resolve", lambda host, port: [PUBLIC_IP, "10.1.2.3"])
    with pytest.raises(BlockedAddressError):
        fetch("http://news.example.com/story")
    assert backend.connects == []


def test_redirect_to_private_address_is_refused_at_the_hop(
    web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # news.example.com "resolves" to a public IP, which passes the check; the
    # socket layer then quietly delivers that connection to the local server,
    # whose redirect to 127.0.0.1 must be refused before it is followed.
    backend = RecordingBackend(reroute={PUBLIC_IP: ("127.0.0.1", web.port)})
    monkeypatch.setattr(netguard, "_RAW_BACKEND", backend)
    monkeypatch.setattr(netguard, "_resolve", lambda host, port: [PUBLIC_IP])
    web.redirect("/start", web.url("/secret"))
    web.route("/secret", "internal data")
    with pytest.raises(BlockedAddressError) as info:
        fetch(f"http://news.example.com:{web.port}/start")
    assert web.hits("/start") == 1
    assert web.hits("/secret") == 0
    assert backend.connects == [(PUBLIC_IP, web.port)]
    assert web.url("/secret") in str(info.value)


def test_connection_goes_to_the_validated_address(
    web: WebServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: the first answer is public, later ones private. Only one
    # resolution may happen, and the socket must open to the checked address.
    answers = iter([[PUBLIC_IP], ["127.0.0.1"], ["127.0.0.1"]])
    backend = RecordingBackend(reroute={PUBLIC_IP: ("127.0.0.1", web.port)})
    monkeypatch.setattr(netguard, "_RAW_BACKEND", backend)
    monkeypatch.setattr(netguard, "_resolve", lambda host, port: next(answers))
    web.route("/page", PAGE)
    result = fetch(f"http://rebind.example.com:{web.port}/page")
    assert result.status == 200
    assert backend.connects == [(PUBLIC_IP, web.port)]
    # The Host header still names the original host, not the pinned IP.
    assert web.requests[0][2]["host"] == f"rebind.example.com:{web.port}"


def test_allow_private_permits_loopback(web: WebServer) -> None:
    web.route("/a", PAGE)
    assert fetch(web.url("/a"), LOCAL).status == 200
    with pytest.raises(BlockedAddressError):
        fetch(web.url("/a"))
    assert web.hits("/a") == 1


_PRIVATE_V4 = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "0.0.0.0/8",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]


@given(st.sampled_from(_PRIVATE_V4), st.integers(min_value=0, max_value=2**32 - 1))
def test_private_ipv4_and_its_ipv6_forms_are_never_public(
    network: ipaddress.IPv4Network, offset: int
) -> None:
    ip = network[offset % network.num_addresses]
    assert not is_public_address(ip)
    assert not is_public_address(ipaddress.IPv6Address(f"::ffff:{ip}"))
    assert not is_public_address(ipaddress.IPv6Address((0x2002 << 112) | (int(ip) << 80)))
    nat64 = ipaddress.IPv6Address(int(ipaddress.IPv6Address("64:ff9b::")) | int(ip))
    assert not is_public_address(nat64)


def test_public_addresses_are_public() -> None:
    assert is_public_address(ipaddress.ip_address("93.184.216.34"))
    assert is_public_address(ipaddress.ip_address("2606:2800:220:1::1"))


@given(st.binary(max_size=2000), st.sampled_from([None, "utf-8", "latin-1", "bogus", "utf-16"]))
def test_decode_body_never_raises(body: bytes, charset: str | None) -> None:
    assert isinstance(decode_body(body, charset), str)
