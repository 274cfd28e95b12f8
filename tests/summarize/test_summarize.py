"""Tests for briefing.summarize: API contract, error handling, offline operation, big input."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from briefing.ingest.boilerplate import strip_boilerplate
from briefing.summarize.newsrank import directed_centrality
from briefing.summarize.summarizer import (
    ALGORITHMS,
    MAX_KL_SENTENCES,
    MAX_TEXT_CHARS,
    Summary,
    SummaryError,
    _features,
    _parse,
    split_sentences,
    summarize_text,
)

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "s400-turkey-ukraine.txt"
SEED_TITLE = "The United States suggested that Turkey transfer a Russian-made missile system"
SEED_FURNITURE = (
    "quality journalism is more crucial than ever",
    "By subscribing, you can help us tell the story well.",
    "Comments are closed.",
)


@pytest.fixture(scope="module")
def article() -> str:
    return strip_boilerplate(SEED.read_text(encoding="utf-8"))


def _is_in_article_order(chosen: tuple[str, ...], sentences: list[str]) -> bool:
    positions = [sentences.index(s) for s in chosen]
    return positions == sorted(positions) and len(set(positions)) == len(positions)


def test_algorithms_are_the_documented_ones() -> None:
    assert ALGORITHMS == (
        "default",
        "lead",
        "lsa",
        "lexrank",
        "textrank",
        "luhn",
        "edmundson",
        "kl",
        "sumbasic",
        "reduction",
    )


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("count", [1, 3, 5])
def test_each_algorithm_returns_count_sentences_in_article_order(
    article: str, algorithm: str, count: int
) -> None:
    summary = summarize_text(article, algorithm=algorithm, sentences=count, title=SEED_TITLE)
    sentences = split_sentences(article)
    assert isinstance(summary, Summary)
    assert summary.algorithm == algorithm
    assert len(summary.sentences) == count
    assert _is_in_article_order(summary.sentences, sentences)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_each_algorithm_works_without_a_title(article: str, algorithm: str) -> None:
    assert len(summarize_text(article, algorithm=algorithm).sentences) == 3


def test_default_length_is_three_and_params_are_reported(article: str) -> None:
    summary = summarize_text(article)
    assert summary.algorithm == "default"
    assert len(summary.sentences) == 3
    assert summary.params == {"sentences": 3, "ratio": None, "language": "en",
                              "language_source": "detected", "stemmer": "snowball-english",
                              "stop_words": "sumy-english"}


def test_lead_takes_the_first_sentences(article: str) -> None:
    summary = summarize_text(article, algorithm="lead", sentences=2)
    assert list(summary.sentences) == split_sentences(article)[:2]


@pytest.mark.parametrize(("ratio", "expected"), [(0.1, 3), (0.25, 7), (0.5, 14), (0.01, 1)])
def test_ratio_selects_a_share_of_the_sentences(article: str, ratio: float, expected: int) -> None:
    total = len(split_sentences(article))
    assert total == 28
    summary = summarize_text(article, ratio=ratio)
    assert len(summary.sentences) == expected
    assert summary.params["ratio"] == ratio
    assert summary.params["sentences"] is None


def test_ratio_one_keeps_every_sentence_and_no_furniture(article: str) -> None:
    summary = summarize_text(article, ratio=1.0)
    assert list(summary.sentences) == split_sentences(article)
    joined = "\n".join(summary.sentences)
    for line in SEED_FURNITURE:
        assert line not in joined


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_short_text_is_its_own_summary(algorithm: str) -> None:
    text = "The council approved the budget on Monday. Spending on roads rises by 4%."
    summary = summarize_text(text, algorithm=algorithm, sentences=3)
    assert summary.sentences == (
        "The council approved the budget on Monday.",
        "Spending on roads rises by 4%.",
    )


def test_single_sentence_without_final_stop() -> None:
    assert summarize_text("Markets rally on Friday").sentences == ("Markets rally on Friday",)


def test_duplicate_sentences_map_back_to_positions() -> None:
    text = " ".join(["Rain is expected tomorrow.", "The river is rising fast."] * 5)
    for algorithm in ALGORITHMS:
        summary = summarize_text(text, algorithm=algorithm, sentences=3)
        assert len(summary.sentences) == 3


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "text is empty"),
        ("   \n\t  \n ", "text is empty"),
        (bytes(range(256)).decode("latin-1") * 20, "binary"),
        ("\x00\x01\x02 hello world \x03\x04\x05\x06\x07\x08", "binary"),
        ("12345 67890 !!! ??? 3.14 -- ++ 2024-01-01", "no letters"),
        ("aGVsbG8gd29ybGQgdGhpcyBpcyBiYXNlNjQ=" * 40, "no real words"),
        ("xkcdqz vbnmcx trwqpl ghjklm zxcvbn qwrtp", "no real words"),
        ("... --- *** ???", "no letters"),
    ],
)
def test_unusable_text_raises_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(SummaryError, match=message):
        summarize_text(text)


def test_summary_error_is_a_value_error() -> None:
    assert issubclass(SummaryError, ValueError)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sentences": 2, "ratio": 0.5}, "not both"),
        ({"sentences": 0}, "at least 1"),
        ({"sentences": -3}, "at least 1"),
        ({"sentences": 2.5}, "whole number"),
        ({"sentences": True}, "whole number"),
        ({"ratio": 0.0}, "ratio"),
        ({"ratio": 1.5}, "ratio"),
        ({"ratio": float("nan")}, "ratio"),
        ({"algorithm": "bert"}, "unknown algorithm 'bert'; choose one of default, lead"),
        ({"language": "klingon"}, "unsupported language 'klingon'"),
        ({"language": " "}, "unsupported language"),
        ({"fallback_language": "xx"}, "unsupported fallback language 'xx'"),
    ],
)
def test_bad_options_raise_a_clear_error(
    article: str, options: dict[str, object], message: str
) -> None:
    with pytest.raises(SummaryError, match=message):
        summarize_text(article, **options)  # type: ignore[arg-type]


def test_too_long_text_is_refused_before_any_work() -> None:
    with pytest.raises(SummaryError, match="too long"):
        summarize_text("word " * (MAX_TEXT_CHARS // 5 + 1))
    with pytest.raises(SummaryError, match="too long"):
        split_sentences("x" * (MAX_TEXT_CHARS + 1))


def _long_article(count: int) -> str:
    subjects = ["The council", "Investors", "The minister", "Local farmers", "The club"]
    verbs = ["approved", "rejected", "debated", "welcomed", "questioned"]
    objects = ["the budget", "a new stadium", "tax rises", "the rail link", "water prices"]
    sentences = [
        f"{subjects[i % 5]} {verbs[i // 5 % 5]} {objects[i // 25 % 5]} in week {i}."
        for i in range(count)
    ]
    paragraphs = [" ".join(sentences[i : i + 4]) for i in range(0, count, 4)]
    return "\n\n".join(paragraphs)


def test_a_1600_sentence_article_completes() -> None:
    text = _long_article(1600)
    assert len(split_sentences(text)) == 1600
    assert len(summarize_text(text).sentences) == 3
    assert len(summarize_text(text, ratio=0.5).sentences) == 800
    assert len(summarize_text(text, algorithm="lead", sentences=5).sentences) == 5


def test_kl_refuses_documents_beyond_its_bound() -> None:
    with pytest.raises(SummaryError, match="too long for 'kl'"):
        summarize_text(_long_article(MAX_KL_SENTENCES + 4), algorithm="kl")


def test_split_sentences_handles_abbreviations_and_paragraphs() -> None:
    text = "Mr. Smith went to Washington D.C. on Monday. He left.\n\nA new paragraph starts here."
    assert split_sentences(text) == [
        "Mr. Smith went to Washington D.C. on Monday.",
        "He left.",
        "A new paragraph starts here.",
    ]


def test_works_without_nltk_data(tmp_path: Path) -> None:
    # NLTK's punkt is not installed here; point NLTK at an empty directory to be sure nothing
    # quietly falls back on it.
    script = textwrap.dedent(
        """
        import sys
        import nltk
        from briefing.ingest.boilerplate import strip_boilerplate
        from briefing.summarize.summarizer import ALGORITHMS, summarize_text
        text = strip_boilerplate(open(sys.argv[1], encoding="utf-8").read())
        for algorithm in ALGORITHMS:
            assert len(summarize_text(text, algorithm=algorithm).sentences) == 3
        try:
            nltk.data.find("tokenizers/punkt_tab")
        except LookupError:
            print("ok, no punkt")
        else:
            print("ok, punkt present but unused")
        """
    )
    env = {**os.environ, "NLTK_DATA": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script, str(SEED)], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_default_skips_furniture_and_fragments_in_flat_text() -> None:
    text = (
        "The city council approved a new budget for road repairs on Monday. "
        "Scroll down for video. "
        "Cover star? "
        "The budget for road repairs doubles spending on the city's roads and bridges. "
        "Council members said road repairs had been delayed for years by budget cuts. "
        "Residents welcomed the road budget at a meeting on Tuesday night. "
        "The mayor said work on the first roads would begin in the spring."
    )
    summary = summarize_text(text, sentences=3)
    assert "Scroll down for video." not in summary.sentences
    assert "Cover star?" not in summary.sentences
    assert summary.sentences[0].startswith("The city council approved")


def test_directed_centrality_matches_brute_force(article: str) -> None:
    features = _features(_parse(article).sentences, "english")
    n, width = len(features.norms), features.vocabulary
    vectors = np.zeros((n, width))
    vectors[features.owners, features.term_ids] = features.weights
    vectors /= np.where(features.norms > 0, features.norms, 1.0)[:, None]
    cosines = vectors @ vectors.T
    expected = np.triu(cosines, 1).sum(axis=1) + 0.25 * np.tril(cosines, -1).sum(axis=1)
    np.testing.assert_allclose(directed_centrality(features, 0.25), expected, atol=1e-9)


def test_language_names_and_tags_are_normalized_to_iso_codes(article: str) -> None:
    for given in ("en", "English", "en-GB", "eng"):
        summary = summarize_text(article, language=given)
        assert (summary.language, summary.params["language_source"]) == ("en", "given")


def test_split_sentences_of_empty_text_is_empty() -> None:
    assert split_sentences("") == []
    assert split_sentences("\n\n \n") == []


def test_default_skips_a_dotted_dailymail_header() -> None:
    # Flat DailyMail text: the splitter cuts the header into "By .", "Daily Mail Reporter ."
    # and time stamps, none of which may reach a summary.
    text = (
        "By . Daily Mail Reporter . PUBLISHED: . 10:02 EST, 3 March 2014 . | . UPDATED: . "
        "12:43 EST, 3 March 2014 . "
        "The city council approved a new budget for road repairs on Monday. "
        "The budget for road repairs doubles spending on the city's roads and bridges. "
        "Council members said road repairs had been delayed for years by budget cuts. "
        "Follow @citydesk on Twitter. "
        "Residents welcomed the road budget at a meeting on Tuesday night."
    )
    summary = summarize_text(text, sentences=3)
    furniture = ("By", "PUBLISHED", "UPDATED", "Follow")
    assert all("Daily Mail" not in s and not s.startswith(furniture) for s in summary.sentences)
    assert summary.sentences[0].startswith("The city council approved")


def test_default_drops_a_leading_dateline_but_lead_keeps_it() -> None:
    text = (
        "LONDON, England (CNN) -- The city council approved a new budget for road repairs. "
        "The budget for road repairs doubles spending on the city's roads and bridges. "
        "Council members said road repairs had been delayed for years by budget cuts. "
        "Residents welcomed the road budget at a meeting on Tuesday night. "
        "The mayor said work on the first roads would begin in the spring."
    )
    summary = summarize_text(text, sentences=3)
    assert summary.sentences[0] == "The city council approved a new budget for road repairs."
    lead = summarize_text(text, algorithm="lead", sentences=1)
    assert lead.sentences[0].startswith("LONDON, England (CNN) --")
