"""A list's selection rules: what a reader who set them would expect to get, and not get."""

from __future__ import annotations

import pytest

from briefing.core.errors import InputError
from briefing.text.rules import ListRules, parse_keywords


def test_no_rules_takes_everything() -> None:
    rules = ListRules.build()
    assert rules.empty
    assert rules.matches(title="Anything", text="at all", feed_id=None)
    assert rules.describe() == ["all articles (no rules)"]


def test_quoted_phrases_and_words_are_parsed() -> None:
    assert parse_keywords('vote "city  council" Zürich') == ["vote", "city council", "Zürich"]
    with pytest.raises(InputError):
        parse_keywords('"city council')


def test_include_any_ignores_case_and_accents_and_matches_whole_words() -> None:
    rules = ListRules.build(include='zurich "City Council"')
    assert rules.matches(title="Flooding in ZÜRICH", text="Rain.")
    assert rules.matches(title="News", text="The city council voted.")
    assert not rules.matches(title="Council news", text="The city is calm.")  # not the phrase
    assert not rules.matches(title="Zurichs", text="")  # whole words only


def test_exclude_all_removes_any_article_with_one_of_the_words() -> None:
    rules = ListRules.build(include="election", exclude='sport "opinion piece"')
    assert rules.matches(title="Election results", text="Turnout rose.")
    assert not rules.matches(title="Election results", text="Sport clubs voted too.")
    assert not rules.matches(title="Election", text="This opinion piece argues.")


def test_a_phrase_does_not_span_title_and_text() -> None:
    rules = ListRules.build(include='"council budget"')
    assert not rules.matches(title="City council", text="Budget talks resume.")


def test_feeds_or_tags_choose_the_sources() -> None:
    rules = ListRules.build(feed_ids=[3], tags=["Économie"])
    assert rules.matches(title="a", text="b", feed_id=3)
    assert rules.matches(title="a", text="b", feed_id=9, tags=["economie"])
    assert not rules.matches(title="a", text="b", feed_id=9, tags=["sport"])
    assert not rules.matches(title="a", text="b", feed_id=None)


def test_language_filter() -> None:
    rules = ListRules.build(language="DE")
    assert rules.matches(title="Wahl", text="Die Wahl.", language="de")
    assert not rules.matches(title="Vote", text="The vote.", language="en")
    assert not rules.matches(title="Vote", text="The vote.", language=None)
    assert rules.describe() == ["language: de"]
