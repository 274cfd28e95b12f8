"""Tests for briefing.ingest.extract: boilerplate removal, metadata, and bad input."""

from __future__ import annotations

import contextlib
import socket
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from briefing.ingest.extract import Extracted, ExtractError, extract_html

NEWS_PAGE = """<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>Council approves new river bridge | The Valley Gazette</title>
<meta name="author" content="Priya Raman">
<meta property="og:site_name" content="The Valley Gazette">
<meta property="article:published_time" content="2024-03-14T09:30:00+01:00">
<meta name="description" content="The long-debated crossing will open in 2026.">
<script>var ads = []; function track() { return "tracking pixel"; }</script>
<style>.nav { display: flex }</style>
</head>
<body>
<header class="site-header">
  <nav class="main-nav"><ul>
    <li><a href="/">Home</a></li><li><a href="/news">News</a></li>
    <li><a href="/sport">Sport</a></li><li><a href="/subscribe">Subscribe now</a></li>
  </ul></nav>
</header>
<div class="ad-banner" id="top-ad">ADVERTISEMENT: Buy one mattress get one free at Dreamland!</div>
<main>
<article>
  <h1>Council approves new river bridge</h1>
  <p class="byline">By <span class="author">Priya Raman</span> ·
     <time datetime="2024-03-14T09:30:00+01:00">14 March 2024</time></p>
  <div class="share"><a href="#">Share on Facebook</a> <a href="#">Share on X</a>
     <a href="#">Email this</a></div>
  <div class="article-body">
    <p>The town council voted nine to two on Wednesday evening to approve construction of a
    pedestrian and cycle bridge across the River Wend, ending a debate that has run for more
    than a decade.</p>
    <p>The bridge, which will link the railway station with the new housing on the east bank,
    is expected to cost £14 million. Most of the money will come from a regional transport
    grant awarded last autumn, with the remainder drawn from the council's capital reserves.</p>
    <p>"This is the single most important thing we can do to get people out of their cars,"
    said councillor Martin Okafor, who chairs the transport committee. "For years residents on
    the east side have had a three-kilometre detour to reach the station."</p>
    <div class="inline-ad">Sponsored: Find cheap flights to Malaga today</div>
    <p>Opponents argued that the design, a single steel arch, would spoil views of the
    medieval mill downstream. Councillor Jane Whitfield said the heritage assessment had been
    rushed and asked for a second review, a motion that was defeated.</p>
    <p>Work is scheduled to begin in the summer and the bridge is due to open in the spring of
    2026. During construction, the riverside footpath between Mill Lane and the boathouse will
    be closed for about eight months.</p>
  </div>
  <div class="share bottom"><a href="#">Share on Facebook</a> <a href="#">Share on X</a></div>
  <aside class="related"><h3>Related stories</h3><ul>
    <li><a href="/a">Station car park to double in size</a></li>
    <li><a href="/b">Mill museum reopens after flood repairs</a></li>
  </ul></aside>
</article>
</main>
<footer class="site-footer">
  <p>© 2024 The Valley Gazette Ltd. All rights reserved.</p>
  <p><a href="/privacy">Privacy policy</a> · <a href="/cookies">Cookie settings</a> ·
     <a href="/contact">Contact us</a></p>
</footer>
</body>
</html>
"""

BODY_PARAGRAPH = (
    "<p>The regional water authority said on Tuesday that reservoir levels had recovered "
    "to their seasonal average after three weeks of steady rain across the hills.</p>"
)


@pytest.fixture(scope="module")
def article() -> Extracted:
    return extract_html(NEWS_PAGE, url="https://gazette.example/news/bridge")


def test_main_text_is_the_article_body(article: Extracted) -> None:
    assert article.text.startswith("The town council voted nine to two")
    assert "£14 million" in article.text
    assert article.text.endswith("closed for about eight months.")


@pytest.mark.parametrize(
    "boilerplate",
    [
        "Subscribe now",
        "Home",
        "ADVERTISEMENT",
        "Share on Facebook",
        "Email this",
        "All rights reserved",
        "Privacy policy",
        "Cookie settings",
        "tracking pixel",
        "display: flex",
        "Related stories",
    ],
)
def test_boilerplate_is_removed(article: Extracted, boilerplate: str) -> None:
    assert boilerplate not in article.text


def test_paragraphs_are_separated_by_blank_lines(article: Extracted) -> None:
    paragraphs = article.text.split("\n\n")
    assert len(paragraphs) >= 5
    assert all(p.strip() == p and "\n" not in p for p in paragraphs)
    # Source line breaks inside a <p> are not paragraph breaks.
    assert "pedestrian and cycle bridge across the River Wend" in paragraphs[0]


def test_metadata(article: Extracted) -> None:
    assert article.title == "Council approves new river bridge"
    assert article.author == "Priya Raman"
    assert article.sitename == "The Valley Gazette"
    assert article.language == "en"


def test_published_at_keeps_the_time_and_is_utc(article: Extracted) -> None:
    assert article.published_at == datetime(2024, 3, 14, 8, 30, tzinfo=UTC)
    assert article.published_at is not None
    assert article.published_at.utcoffset() is not None


def test_bytes_input_with_declared_charset() -> None:
    html = (
        '<html><head><meta charset="iso-8859-1"><title>Café news</title></head><body>'
        "<article><p>Le café du coin a rouvert ses portes après une longue rénovation, "
        "à la grande joie des habitués du quartier et des étudiants.</p></article></body></html>"
    )
    result = extract_html(html.encode("latin-1"))
    assert "Le café du coin a rouvert" in result.text
    assert "à la grande joie" in result.text


def test_title_falls_back_to_title_tag() -> None:
    html = (
        f"<html><head><title>Reservoirs recover</title></head><body>{BODY_PARAGRAPH}</body></html>"
    )
    assert extract_html(html).title == "Reservoirs recover"


def test_date_from_json_ld_and_missing_language() -> None:
    html = (
        '<html><head><script type="application/ld+json">'
        '{"@context": "https://schema.org", "@type": "NewsArticle",'
        ' "datePublished": "2023-11-02T18:05:00Z", "headline": "Reservoirs recover"}'
        f"</script></head><body><article>{BODY_PARAGRAPH}</article></body></html>"
    )
    result = extract_html(html)
    assert result.published_at == datetime(2023, 11, 2, 18, 5, tzinfo=UTC)
    assert result.language is None


def test_page_without_dates_has_no_published_at() -> None:
    html = f"<html><body><article>{BODY_PARAGRAPH}</article></body></html>"
    assert extract_html(html).published_at is None


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<html><body></body></html>",
        "<html><head><title>Only a title</title></head><body><nav>Home</nav></body></html>",
        "<html><body><script>document.write('x')</script><div class='ad'></div></body></html>",
    ],
)
def test_html_without_text_is_an_error(html: str) -> None:
    with pytest.raises(ExtractError, match="no article text"):
        extract_html(html)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 20,
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 100,
        bytes(range(128, 256)) * 40,
        b"\x00",
    ],
)
def test_binary_input_is_an_error(data: bytes) -> None:
    with pytest.raises(ExtractError):
        extract_html(data)


@settings(max_examples=50, deadline=None)
@given(
    st.binary(max_size=3000)
    | st.text(max_size=2000)
    | st.lists(
        st.sampled_from(["<p>", "</p>", "<div>", "<html>", "word ", "<", "&amp;", "\x00"])
    ).map("".join)
)
def test_arbitrary_input_never_crashes(data: bytes | str) -> None:
    with contextlib.suppress(ExtractError):
        extract_html(data)


def test_extraction_never_uses_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("extract_html tried to use the network")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    result = extract_html(NEWS_PAGE, url="https://gazette.example/news/bridge")
    assert result.title == "Council approves new river bridge"
