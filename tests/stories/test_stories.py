"""Grouping articles into stories and summarizing them, on articles written for these tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from briefing.stories.articles import StoryArticle
from briefing.stories.grouping import StoryIndex, group_articles
from briefing.stories.summary import DEFAULT_SUMMARY, summarize_story

DAY = datetime(2024, 5, 14, 6, 0, tzinfo=UTC)

# One event, five outlets, each in its own words.
BRIDGE = [
    ("Harbour bridge in Kelso partly collapses, two injured",
     "Part of the Marrow Street bridge in Kelso collapsed into the river early on Tuesday, "
     "injuring two people, the city's fire service said. A delivery van fell with the span "
     "but its driver was pulled from the water by rescuers. Engineers had closed one lane of "
     "the 1962 bridge in March after finding corrosion."),
    ("Kelso's Marrow Street bridge gives way; van plunges into river",
     "A section of Kelso's Marrow Street bridge gave way on Tuesday morning and a van dropped "
     "into the river below. Two people were taken to hospital with injuries that are not life "
     "threatening, according to the fire service. Corrosion had been found on the bridge in "
     "March."),
    ("Two hurt as span of corroded Kelso bridge falls",
     "Two people were hurt when a span of the Marrow Street bridge fell into the river in "
     "Kelso on Tuesday. City engineers said they had found corrosion in March and had closed "
     "a lane. The mayor ordered inspections of every bridge built before 1970."),
    ("Mayor orders bridge inspections after Marrow Street collapse",
     "Kelso mayor Ines Batto ordered inspections of all of the city's older bridges after the "
     "Marrow Street bridge partly collapsed on Tuesday, sending a van into the river. Two "
     "people were injured. The bridge had been partly closed since March because of "
     "corrosion."),
    ("Van driver rescued after Kelso bridge collapse",
     "Rescuers pulled a van driver from the river after part of the Marrow Street bridge in "
     "Kelso collapsed on Tuesday morning. The driver and a cyclist on the bridge were injured. "
     "Engineers had warned about corrosion on the bridge in March."),
]

# Five more outlets on the same event: a big story must not fall apart.
BRIDGE_MORE = [
    ("Kelso bridge collapse: what we know",
     "Here is what we know about the partial collapse of the Marrow Street bridge in Kelso on "
     "Tuesday. A span fell into the river, taking a van with it. Two people were injured. The "
     "bridge, opened in 1962, had corrosion damage found in March."),
    ("Inspectors knew of corrosion on collapsed Kelso bridge",
     "City inspectors found corrosion on the Marrow Street bridge in March, two months before "
     "part of it collapsed into the river on Tuesday, records show. One lane had been closed. "
     "Two people were hurt in the collapse."),
    ("Commuters face long detours after Kelso bridge collapse",
     "Commuters in Kelso faced long detours on Tuesday after part of the Marrow Street bridge "
     "collapsed into the river. Buses were rerouted and the fire service said two people were "
     "injured when a span gave way."),
    ("Cyclist describes moment Kelso bridge fell",
     "A cyclist who was on the Marrow Street bridge when part of it collapsed on Tuesday said "
     "the deck shook before a span dropped into the river with a van. She was one of two "
     "people injured, the fire service said."),
    ("Kelso council to debate bridge repairs after collapse",
     "Kelso's city council will hold an emergency session on bridge repairs after the Marrow "
     "Street bridge partly collapsed on Tuesday. Corrosion was found on the bridge in March. "
     "Two people were injured."),
]

# Three different events about one election: they must stay three stories.
ELECTION = {
    "debate": [
        ("Candidates clash over housing in first Valdoria presidential debate",
         "Valdoria's presidential candidates Marta Quell and Jonas Brede clashed over housing "
         "costs in the first televised debate on Monday night. Quell promised 200,000 new "
         "homes, while Brede said rent controls had failed."),
        ("Quell and Brede trade blows on rents in TV debate",
         "In Monday's televised debate, Marta Quell pledged 200,000 homes and Jonas Brede "
         "attacked rent controls, in the sharpest exchange of Valdoria's presidential "
         "campaign so far."),
    ],
    "turnout": [
        ("Early voting turnout hits record in Valdoria",
         "More than 1.2 million Valdorians have already cast ballots in early voting, a "
         "record, the electoral commission said on Thursday. Queues formed at polling "
         "stations in the capital, Ostra."),
        ("Record 1.2 million vote early in presidential election",
         "The electoral commission said on Thursday that a record 1.2 million people voted "
         "early in Valdoria's presidential election, with long queues at polling stations "
         "in Ostra."),
    ],
    "ballots": [
        ("Court orders recount of postal ballots in Valdoria's north",
         "Valdoria's supreme court ordered a recount of 48,000 postal ballots in the "
         "northern province of Ferre after complaints about damaged envelopes, the court "
         "said on Saturday."),
        ("Ferre postal ballots to be recounted, supreme court rules",
         "The supreme court ruled on Saturday that 48,000 postal ballots from the province "
         "of Ferre must be counted again because envelopes had been damaged in transport."),
    ],
}

# The rest of a day's news, so that grouping sees a day and not only the stories under test.
BACKGROUND = [
    ("Ostra Rovers win cup final on penalties",
     "Ostra Rovers beat Lindhaven 5-4 on penalties to win the national cup final after a "
     "goalless draw on Saturday."),
    ("Heatwave warning issued for the south coast",
     "Forecasters issued a heatwave warning for the south coast, with temperatures expected "
     "to reach 38C by Wednesday."),
    ("Chipmaker Norvex to build plant near Kelso airport",
     "The chipmaker Norvex said it would build a plant near Kelso airport, creating about "
     "900 jobs by 2027."),
    ("Central bank holds interest rate at 4.5%",
     "The central bank kept its main interest rate at 4.5% on Thursday, saying inflation was "
     "falling more slowly than it had hoped."),
    ("Museum returns stolen painting after 40 years",
     "A painting stolen from the city museum in 1984 has been returned after it was found "
     "in a private collection abroad, the museum said."),
    ("Train drivers announce two-day strike",
     "Train drivers will strike for two days next week over pay, their union said, "
     "cancelling most services between the capital and the coast."),
]


def _articles(pairs: list[tuple[str, str]], prefix: str, hours: int = 0) -> list[StoryArticle]:
    return [StoryArticle(f"{prefix}{i}", title, text, source=f"outlet-{i}",
                         published=DAY + timedelta(hours=hours + i), url=f"https://x/{prefix}{i}")
            for i, (title, text) in enumerate(pairs)]


def _day() -> tuple[list[StoryArticle], list[StoryArticle], dict[str, list[StoryArticle]]]:
    bridge = _articles(BRIDGE, "bridge-")
    election = {name: _articles(pairs, f"{name}-", 2) for name, pairs in ELECTION.items()}
    background = _articles(BACKGROUND, "other-", 1)
    day = [a for group in zip(bridge, background, strict=False) for a in group]
    day += background[len(bridge):] + [a for pairs in election.values() for a in pairs]
    return day, bridge, election


def _stories_of(day: list[StoryArticle], stories: list[int], some: list[StoryArticle]) -> set[int]:
    story_of = {a.id: s for a, s in zip(day, stories, strict=True)}
    return {story_of[a.id] for a in some}


def test_five_outlets_reporting_one_event_become_one_story() -> None:
    day, bridge, _ = _day()
    stories = group_articles(day)
    assert len(_stories_of(day, stories, bridge)) == 1
    others = [a for a in day if a not in bridge]
    assert _stories_of(day, stories, bridge).isdisjoint(_stories_of(day, stories, others))


def test_three_events_about_one_election_stay_three_stories() -> None:
    day, _, election = _day()
    stories = group_articles(day)
    found = [_stories_of(day, stories, pairs) for pairs in election.values()]
    assert all(len(s) == 1 for s in found), found  # each event is one story...
    assert len(set.union(*found)) == 3  # ...and they are three


def test_a_story_covered_by_ten_outlets_stays_one_story() -> None:
    day, bridge, _ = _day()
    more = _articles(BRIDGE_MORE, "more-", 3)
    day = day + more
    stories = group_articles(day)
    assert len(_stories_of(day, stories, bridge + more)) == 1
    others = [a for a in day if a not in bridge + more]
    assert len(_stories_of(day, stories, others)) == len(others) - 3  # 3 election pairs


def test_an_article_arriving_later_joins_its_story() -> None:
    day, bridge, _ = _day()
    late = bridge[-1]
    index = StoryIndex()
    for article in day:
        if article is not late:
            index.add(article)
    story = index.story_of(bridge[0].id)
    placement = index.add(late)
    assert placement.story == story
    assert placement.changed == {late.id: story}  # nobody else moved
    assert index.stories()[story] == [a.id for a in day if a in bridge]


def test_articles_published_weeks_apart_are_not_one_story() -> None:
    first, second = _articles(BRIDGE[:2], "b-")
    weeks_later = StoryArticle(second.id, second.title, second.text,
                               published=DAY + timedelta(days=30))
    stories = group_articles([first, weeks_later, *_articles(BACKGROUND, "o-")])
    assert stories[0] != stories[1]
    assert len(set(group_articles([first, second, *_articles(BACKGROUND, "o-")])[:2])) == 1


def test_restoring_an_index_keeps_the_stored_stories() -> None:
    _, bridge, _ = _day()
    index = StoryIndex()
    for article in bridge[:-1]:
        index.add(article, story=7)
    assert index.add(bridge[-1]).story == 7


def test_a_story_summary_says_what_outlets_agree_on_once() -> None:
    summary = summarize_story(_articles(BRIDGE, "bridge-"), sentences=3)
    assert len(summary.sentences) == 3
    assert any("Marrow Street bridge" in s and "collapse" in s for s in summary.sentences)
    words = [set(s.lower().split()) for s in summary.sentences]
    for i, a in enumerate(words):  # no two sentences say the same thing
        for b in words[i + 1:]:
            assert len(a & b) / len(a | b) < 0.5
    assert [s.source for s in summary.sources] == [f"outlet-{i}" for i in range(5)]


def test_a_story_told_in_few_words_gets_a_short_summary() -> None:
    leads = [(title, text.split(". ")[0] + ".") for title, text in BRIDGE]
    assert 1 <= len(summarize_story(_articles(leads, "lead-"), sentences=3).sentences) < 3
    bridge = _articles(BRIDGE, "bridge-")
    unbounded = replace(DEFAULT_SUMMARY, word_budget=0, budget_ratio=0.0)
    assert len(summarize_story(bridge, sentences=5, config=unbounded).sentences) == 5
    # The sentence count stays the most there can be, the word budget only stops earlier.
    few_words = replace(unbounded, word_budget=10)
    assert len(summarize_story(bridge, sentences=5, config=few_words).sentences) == 1


def test_a_single_article_story_keeps_its_own_summary() -> None:
    article = StoryArticle("a", BRIDGE[0][0], BRIDGE[0][1], summary=("Its own summary.",))
    assert summarize_story([article]).sentences == ("Its own summary.",)
    bare = StoryArticle("b", BRIDGE[0][0], BRIDGE[0][1])
    assert summarize_story([bare], sentences=2).sentences[0].startswith("Part of the Marrow")


def test_no_two_sentences_of_a_story_summary_say_the_same_thing() -> None:
    import re

    from briefing.stories.articles import StoryArticle
    from briefing.stories.summary import summarize_story
    from tests.support.stories import BRIDGE

    articles = [StoryArticle(n, p.title, p.text, source=p.outlet) for n, p in enumerate(BRIDGE)]
    chosen = summarize_story(articles, 3).sentences
    words = [set(re.findall(r"\w+", s.lower())) - {"the", "a", "on", "in", "of"} for s in chosen]
    for i, first in enumerate(words):
        for second in words[i + 1:]:
            # Most of the shorter one's words in the other: it adds nothing.
            assert len(first & second) / min(len(first), len(second)) < 0.75, chosen


def test_a_quiet_day_of_unrelated_articles_stays_one_story_each() -> None:
    from pathlib import Path

    from briefing.ingest.adding import from_file, prepare, seed_files
    from briefing.stories.articles import StoryArticle
    from briefing.stories.grouping import StoryIndex

    seeds = Path(__file__).resolve().parents[2] / "seeds"
    index = StoryIndex()
    for n, path in enumerate(seed_files(seeds)):
        article = prepare(from_file(path))
        index.add(StoryArticle(n, article.title or "", article.text))
    stories = index.stories()
    assert len(stories) == len(seed_files(seeds)) >= 5, stories  # the demo's seven events
