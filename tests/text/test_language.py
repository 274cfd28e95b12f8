"""Each article is summarized in its own language, with that language's stop words and stemmer."""

from __future__ import annotations

import pytest

from briefing.core.languages import language_code
from briefing.summarize.linguistics import language_kit
from briefing.summarize.summarizer import split_sentences, summarize_text
from briefing.text.language import choose_language, detect_language
from briefing.text.tokenizer import split_words
from tests.support.texts import FRENCH_ARTICLE, GERMAN_ARTICLE, SHORT_NEWS


@pytest.mark.parametrize(("text", "code", "name", "own", "foreign"), [
    (GERMAN_ARTICLE, "de", "german", {"und", "der", "die", "nicht"}, {"the", "le"}),
    (FRENCH_ARTICLE, "fr", "french", {"et", "le", "la", "les"}, {"the", "und"}),
])
def test_german_and_french_articles_are_summarized_with_their_own_stop_words(
        text: str, code: str, name: str, own: set[str], foreign: set[str]) -> None:
    summary = summarize_text(text, sentences=2)
    assert summary.language == code
    assert summary.params["language_source"] == "detected"
    assert summary.params["stop_words"] == f"sumy-{name}"
    assert summary.params["stemmer"] == f"snowball-{name}"
    # The list the summary used is that language's, not English's.
    used = language_kit(code).stop_words
    assert used is not None and own <= used and not foreign & used
    assert len(summary.sentences) == 2 and set(summary.sentences) <= set(split_sentences(text))


@pytest.mark.parametrize("code", sorted(SHORT_NEWS))
def test_short_news_in_every_evaluation_language_is_detected_and_summarized(code: str) -> None:
    summary = summarize_text(SHORT_NEWS[code], sentences=1)
    assert (summary.language, summary.params["language_source"]) == (code, "detected")
    assert len(summary.sentences) == 1


@pytest.mark.parametrize(("code", "stemmer", "stop_words"), [
    ("ha", "none", "frequency"), ("is", "none", "frequency"),
    ("ru", "snowball-russian", "frequency"), ("cs", "sumy-czech", "sumy-czech"),
    ("zh", "none", "sumy-chinese"), ("ja", "none", "sumy-japanese"),
])
def test_languages_sumy_lacks_get_a_recorded_fallback(code: str, stemmer: str,
                                                      stop_words: str) -> None:
    params = summarize_text(SHORT_NEWS[code]).params
    assert (params["stemmer"], params["stop_words"]) == (stemmer, stop_words)


def test_frequency_stop_words_are_the_texts_own_function_words() -> None:
    # Words in many sentences are the function words; a topic word in two of eight is not.
    sentences = [("Gwamna", "ya", "ce", "za", "a", "bude", f"asibiti{i % 4}", "da", "safe")
                 if i % 2 else ("Ta", "ce", "a", "yau", f"kasuwa{i}", "da", "rana")
                 for i in range(8)]
    derived = language_kit("ha").stop_words_for(sentences)
    assert {"a", "ce", "da"} <= derived
    assert not {"asibiti1", "kasuwa2"} & derived


def test_a_declaration_counts_when_the_text_agrees_or_cannot_tell() -> None:
    assert choose_language(GERMAN_ARTICLE, declared="de-DE").source == "declared"
    # A headline is too short to tell: the page's word is taken.
    assert choose_language("Nouveau budget voté", declared="fr") == choose_language(
        "Nouveau budget voté", declared="fr-FR")
    assert choose_language("Nouveau budget voté", declared="fr").code == "fr"
    # Templates hard-code lang="en": a long, clearly German text overrides it.
    overridden = choose_language(GERMAN_ARTICLE, declared="en")
    assert (overridden.code, overridden.source) == ("de", "detected")


def test_without_a_declaration_an_unsure_text_takes_the_fallback() -> None:
    choice = choose_language("Nouveau budget", fallback="german")
    assert (choice.code, choice.source) == ("de", "fallback")
    summary = summarize_text("Budget votes today", fallback_language="fr")
    assert summary.params["language_source"] in ("detected", "fallback")


def test_detection_reads_short_sentences_of_each_language() -> None:
    for code, text in SHORT_NEWS.items():
        first = split_sentences(text, code)[0]
        assert detect_language(first).code == code, first


@pytest.mark.parametrize(("value", "code"), [
    ("de", "de"), ("de-AT", "de"), ("deu", "de"), ("ger", "de"), ("German", "de"),
    ("english", "en"), ("en", "en"), ("EN-gb", "en"), ("zh_Hans", "zh"), ("iw", "he"),
    ("klingon", None), ("xx", None), ("", None), (None, None),
])
def test_language_codes_names_and_tags_become_iso_639_1(value: str | None,
                                                        code: str | None) -> None:
    assert language_code(value) == code


def test_chinese_sentences_keep_their_closing_quotes_and_words_are_bigrams() -> None:
    text = "他说：“计划很好。”然后离开了会场。记者问：为什么？"
    assert split_sentences(text, "zh") == ["他说：“计划很好。”", "然后离开了会场。",
                                           "记者问：为什么？"]
    assert split_words("交通计划") == ("交通", "通计", "计划")
    assert split_words("Yahoo ニュース") == ("Yahoo", "ニュ", "ュー", "ース")
