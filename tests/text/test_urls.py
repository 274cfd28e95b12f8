"""URL normalization: one spelling per page, and normalizing twice changes nothing."""

from __future__ import annotations

import ipaddress
import string
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from briefing.core.errors import InputError
from briefing.text.normalize import normalize_url, url_hash

_LABEL = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=10)
_UNICODE_LABEL = st.text(st.characters(categories=["Ll", "Lu", "Lo"]), min_size=1, max_size=8)


def _ipv6_literal(ip: ipaddress.IPv6Address, exploded: bool, upper: bool) -> str:
    text = ip.exploded if exploded else ip.compressed
    return f"[{text.upper() if upper else text}]"


HOSTS = st.one_of(
    st.lists(_LABEL, min_size=1, max_size=4).map(".".join),
    st.lists(st.one_of(_LABEL, _UNICODE_LABEL), min_size=1, max_size=3).map(".".join),
    st.ip_addresses(v=4).map(str),
    st.builds(_ipv6_literal, st.ip_addresses(v=6), st.booleans(), st.booleans()),
)
USERINFO = st.text(string.ascii_letters + string.digits + "-._~!$&'()*+,;=:%", max_size=12)
PATHS = st.lists(st.text(string.ascii_letters + string.digits + "-._~%!$&'()*+,;=:@",
                         max_size=8), max_size=4).map(lambda parts: "/" + "/".join(parts))
QUERY_PAIRS = st.lists(st.tuples(
    st.sampled_from(["a", "B", "q", "utm_source", "UTM_Medium", "fbclid", "page"]),
    st.text(string.printable.replace("#", ""), max_size=6)), max_size=4)


@st.composite
def urls(draw: st.DrawFn) -> str:
    url = draw(st.sampled_from(["http", "https", "HTTP", "Https"])) + "://"
    if draw(st.booleans()):
        url += draw(USERINFO) + "@"
    url += draw(HOSTS)
    if draw(st.booleans()):
        url += f":{draw(st.integers(0, 65535))}"
    url += draw(st.one_of(st.just(""), PATHS))
    pairs = draw(QUERY_PAIRS)
    if pairs:
        url += "?" + "&".join(f"{k}={v.replace('&', '%26')}" for k, v in pairs)
    if draw(st.booleans()):
        url += "#" + draw(st.text(string.ascii_letters, max_size=5))
    return url


@given(urls())
def test_normalizing_twice_equals_normalizing_once(url: str) -> None:
    try:
        once = normalize_url(url)
    except InputError:
        return  # refused with a message (say, a host urlsplit reads as invalid): not a crash
    assert normalize_url(once) == once
    parts = urlsplit(once)
    assert parts.port is None or 0 <= parts.port <= 65535  # the port still reads as a port
    assert not parts.fragment and "utm_" not in parts.query.lower()


@given(st.ip_addresses(v=6), st.booleans(), st.booleans())
def test_an_ipv6_host_keeps_its_brackets_and_one_spelling(
        ip: ipaddress.IPv6Address, exploded: bool, upper: bool) -> None:
    url = f"http://{_ipv6_literal(ip, exploded, upper)}:8080/story"
    assert normalize_url(url) == f"http://[{ip.compressed}]:8080/story"


@pytest.mark.parametrize(("url", "same_as"), [
    ("http://[2606:4700:4700:0:0:0:0:1111]:80/story#top",
     "http://[2606:4700:4700::1111]/story"),
    ("https://Bücher.Example/Seite?utm_source=feed&b=2&a=1",
     "https://xn--bcher-kva.example/Seite?a=1&b=2"),
    ("HTTPS://user:Secret@News.Example.com:443", "https://news.example.com/"),
])
def test_spellings_of_one_page_share_a_hash(url: str, same_as: str) -> None:
    assert normalize_url(url) == same_as
    assert url_hash(url) == url_hash(same_as)


@pytest.mark.parametrize("url", ["http://example.com:99999/", "http://example.com:port/",
                                 "http://[2606:4700::1111/story"])
def test_an_unreadable_url_is_an_input_error_naming_it(url: str) -> None:
    with pytest.raises(InputError, match="is not a valid URL"):
        normalize_url(url)
