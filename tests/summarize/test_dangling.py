"""No dangling openings: a chosen "He said…" or "But…" comes with the sentence it leans on."""

from __future__ import annotations

import dataclasses

import pytest

from briefing.summarize import newsrank
from briefing.summarize.linguistics import language_kit
from briefing.summarize.openings import opens_dangling
from briefing.summarize.summarizer import _features, _parse, split_sentences, summarize_text

# The most central sentence (it repeats what the rest says) opens with "He"; the one before it
# names him.  The first sentence is page talk that shares no words with the story.
ARTICLE = (
    "Readers have sent us many letters this month about all kinds of subjects. "
    "Local weather has been mild and quiet. "
    "Mayor Anna Berg presented the harbour plan for the new ferry terminal to the council. "
    "He said the harbour plan for the new ferry terminal would cut ferry waiting times at the "
    "harbour and bring new jobs to the ferry terminal. "
    "The ferry terminal would open in two years, the harbour plan says. "
    "Ferry operators welcomed the harbour plan and the new terminal. "
    "Critics of the harbour plan worry about ferry traffic near the terminal."
)


def _dangling_picks(summary: tuple[str, ...], sentences: list[str]) -> list[str]:
    positions = [sentences.index(s) for s in summary]
    return [sentences[p] for p in positions
            if p > 0 and p - 1 not in positions and opens_dangling(sentences[p], "en")]


def test_old_ranking_picks_the_dangling_sentence_alone() -> None:
    kit = language_kit("en")
    sentences = _parse(ARTICLE, tokenizer=kit.tokenizer).sentences
    off = dataclasses.replace(newsrank.DEFAULT_CONFIG, dangling="off")
    picked = [str(sentences[i]) for i in newsrank.rank(_features(sentences, kit), 1, off)]
    assert picked[0].startswith("He said")


@pytest.mark.parametrize("count", [1, 2, 3])
def test_default_summary_never_opens_a_dangling_reference(count: int) -> None:
    summary = summarize_text(ARTICLE, sentences=count)
    assert len(summary.sentences) == count
    assert _dangling_picks(summary.sentences, split_sentences(ARTICLE)) == []
    assert not opens_dangling(summary.sentences[0], "en")


def test_with_room_the_sentence_before_comes_along() -> None:
    summary = summarize_text(ARTICLE, sentences=2)
    assert summary.sentences == (
        "Mayor Anna Berg presented the harbour plan for the new ferry terminal to the council.",
        "He said the harbour plan for the new ferry terminal would cut ferry waiting times at "
        "the harbour and bring new jobs to the ferry terminal.",
    )


@pytest.mark.parametrize(("sentence", "language", "dangling"), [
    ("He said it was over.", "en", True),
    ("\u201cBut we won,\u201d she said.", "en", True),
    ("However, rain fell.", "en", True),
    ("In addition, the firm hired staff.", "en", True),
    ("This comes after a long week.", "en", True),
    ("This year the team won.", "en", False),
    ("The president spoke.", "en", False),
    ("Aber das Geld fehlt.", "de", True),
    ("Es gibt Hoffnung.", "de", False),
    ("Il a refusé.", "fr", True),
    ("Il y a deux ans, la ville a voté.", "fr", False),
    ("但是部长表示反对。", "zh", True),
    ("政府周三公布了计划。", "zh", False),
    ("Ya ce za a bude asibiti.", "ha", False),  # no list for Hausa: never dangling
])
def test_dangling_openings_are_told_per_language(sentence: str, language: str,
                                                 dangling: bool) -> None:
    assert opens_dangling(sentence, language) is dangling


def test_a_text_of_only_dangling_sentences_still_gets_its_summary() -> None:
    text = " ".join(f"But the council met again on day {i} to discuss the harbour budget."
                    for i in range(1, 9))
    assert len(summarize_text(text, sentences=3).sentences) == 3
