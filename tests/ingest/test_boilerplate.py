"""Tests for briefing.ingest.boilerplate: furniture lines go, prose and paragraph structure stay."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefing.ingest.boilerplate import (
    is_boilerplate,
    normalize_whitespace,
    strip_boilerplate,
    strip_dateline,
)

SEED = Path(__file__).resolve().parents[2] / "seeds" / "s400-turkey-ukraine.txt"
SEED_FURNITURE = (
    "In an age of both misinformation and too much information, quality journalism is more "
    "crucial than ever.",
    "By subscribing, you can help us tell the story well.",
    "Comments are closed.",
)


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


def test_seed_ends_with_the_furniture_under_test(seed_text: str) -> None:
    tail = [line.strip() for line in seed_text.splitlines() if line.strip()][-3:]
    assert tuple(tail) == SEED_FURNITURE


def test_seed_furniture_is_removed(seed_text: str) -> None:
    cleaned = strip_boilerplate(seed_text)
    for line in SEED_FURNITURE:
        assert line not in cleaned
    assert "Comments are closed" not in cleaned
    assert "subscribing" not in cleaned


def test_seed_paragraphs_are_all_kept_in_order(seed_text: str) -> None:
    cleaned = strip_boilerplate(seed_text)
    expected = [
        " ".join(line.split())
        for line in seed_text.splitlines()
        if line.strip() and line.strip() not in SEED_FURNITURE
    ]
    assert cleaned.split("\n\n") == expected


FURNITURE = [
    "Comments are closed.",
    "Comments are now closed",
    "12 comments",
    "Scroll down for video",
    "SCROLL DOWN FOR VIDEO .",
    "Share this article",
    "Share on Facebook",
    "Share on Twitter",
    "Tweet",
    "Email",
    "Share | Tweet | Email",
    "Photo: John Smith / Getty Images",
    "Photograph: Jane Doe/Reuters",
    "(AP Photo/Evan Vucci)",
    "The president waves to supporters in Ohio. (AP Photo/Evan Vucci)",
    "Image copyright Getty Images",
    "Image caption The bridge was closed on Monday",
    "Advertisement",
    "ADVERTISEMENT",
    "Read more: Why the pound fell against the dollar",
    "READ MORE: Ten things we learned",
    "Related: How the vote was counted",
    "Sign up for our newsletter",
    "Subscribe to our daily briefing",
    "We use cookies to improve your experience on our site.",
    "This website uses cookies. By continuing to browse you accept our cookie policy.",
    "© 2024 Example Media Ltd. All rights reserved.",
    "Copyright 2015 The Associated Press. All rights reserved.",
    "Click here to read the full report",
    "By JOHN SMITH",
    "By Jane Doe and John Roe, Reuters",
    "By . Daily Mail Reporter .",
    # DailyMail's dotted header, whole and as a sentence splitter cuts it.
    "By . Daily Mail Reporter . PUBLISHED: . 10:02 EST, 3 March 2014 . | . UPDATED: . 12:43 EST, "
    "3 March 2014 .",
    "By . Jane Smith . PUBLISHED: . 10:02 EST, 3 March 2014 . | . UPDATED: . 12:43 EST, 3 March "
    "2014 .",
    "By .",
    "Daily Mail Reporter .",
    "Daily Mail Australia Reporter",
    "MailOnline Reporter .",
    "Last updated at 4:12 PM on 3rd March 2014 .",
    "Last updated: 10:32, 5 March 2015",
    "Follow @jsmith on Twitter.",
    "Follow Jane Smith on Twitter: @jsmith",
    "Follow us on Twitter @newsdesk",
    "Last updated at 10:32 AM on 5th March 2015",
    "PUBLISHED: 10:32 GMT, 5 March 2015 | UPDATED: 11:02 GMT, 5 March 2015",
    "Support independent journalism today.",
    "Donate now to keep our reporting free for everyone.",
    "If you value our reporting, please consider subscribing.",
    "Reporting by Jane Doe in London; Editing by John Roe",
    "(Additional reporting by Ann Lee; Writing by Bo Chan; Editing by Cy Dee)",
    "Our Standards: The Thomson Reuters Trust Principles.",
    "Listen to this article",
    "Listen · 5 min",
    "Story continues below advertisement",
    "Advertisement - Scroll to continue",
    "toggle caption Evan Vucci/AP",
    "Please enable JavaScript to view the comments.",
    "Skip to main content",
    "This article was originally published on The Conversation.",
]

PROSE = [
    "The company lost 464,000 subscribers in the fourth quarter.",
    "Customers who subscribe to the premium plan pay $10 a month.",
    "Comments made by the minister on Tuesday caused outrage.",
    "The State Department did not respond to questions about her comments.",
    "By Tuesday, all of them had left the building.",
    "Published in 2004, the book sold two million copies.",
    "Copyright law is changing fast in Europe.",
    '"We will never ask readers to subscribe to our newsletter," she said.',
    "Share prices fell 3% on Monday.",
    "He sent an email to the board on Friday.",
    "The photo was taken in Paris in 1968.",
    "Advertisement spending rose 8% last year, the firm said.",
    "Donations to the charity doubled after the appeal.",
    "Reporting by the newspaper revealed that the minister had misled parliament.",
    "Listen to the experts, she urged, before making up your mind.",
    "The story continues to unfold in the capital.",
    "By the end of the day, the fire was out.",
    "Last updated in 2010, the rules are now out of date.",
    "Follow the money, investigators were told.",
    "Follow the advice of @WHO, officials urged.",
    "Fans can follow the team at @ClubName, the club said on Monday.",
    "Reuters reporters witnessed the blast near the border.",
    "A Daily Mail reporter was at the hearing on Tuesday.",
    "(CNN) -- The president spoke to reporters on Tuesday.",
]


@pytest.mark.parametrize("line", FURNITURE)
def test_furniture_line_is_removed(line: str) -> None:
    assert is_boilerplate(line)
    text = f"First real paragraph of the story.\n\n{line}\n\nSecond real paragraph."
    assert strip_boilerplate(text) == "First real paragraph of the story.\n\nSecond real paragraph."


@pytest.mark.parametrize("line", PROSE)
def test_prose_mentioning_furniture_words_is_kept(line: str) -> None:
    assert not is_boilerplate(line)
    assert strip_boilerplate(f"Intro.\n\n{line}") == f"Intro.\n\n{line}"


def test_inline_scroll_prompt_in_flat_text_is_removed() -> None:
    text = "Obama visited the museum. Scroll down for video\xa0. He praised Marley."
    assert strip_boilerplate(text) == "Obama visited the museum. He praised Marley."


def test_whitespace_is_normalized_and_paragraphs_kept() -> None:
    text = "  Title\t line  \r\n\r\n\r\n\r\nFirst   para\xa0line one.\nline two.  \n\n\n\nLast. "
    assert normalize_whitespace(text) == "Title line\n\nFirst para line one.\nline two.\n\nLast."
    assert strip_boilerplate(text) == "Title line\n\nFirst para line one.\nline two.\n\nLast."


def test_long_paragraphs_are_never_furniture() -> None:
    paragraph = "Share on Facebook " + "and the story goes on " * 30
    assert not is_boilerplate(paragraph)


def test_empty_text() -> None:
    assert strip_boilerplate("") == ""
    assert strip_boilerplate(" \n\n \t ") == ""


def test_large_hostile_input_completes() -> None:
    # Lines built to make naive regexes backtrack; must still be handled (linear work).
    hostile = "\n".join(["BY " + "A" * 290 + "!", "Share " * 50 + "x", "(" + "AP/" * 90])
    assert strip_boilerplate(hostile * 2_000).count("\n") > 0


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "LONDON, England (CNN) -- The council approved the budget.",
            "The council approved the budget.",
        ),
        ("(CNN)The council approved the budget.", "The council approved the budget."),
        ("( CNN ) The council approved the budget.", "The council approved the budget."),
        ("Kathmandu, Nepal (CNN)Rescuers found him alive.", "Rescuers found him alive."),
        ("West of Baghdad, Iraq (CNN)The troops moved in.", "The troops moved in."),
        ("WASHINGTON (Reuters) - The Senate voted on Monday.", "The Senate voted on Monday."),
        ("PARIS (AP) — Strikes closed the metro today.", "Strikes closed the metro today."),
        ("NEW YORK — The Senate voted on Monday.", "The Senate voted on Monday."),
        ('(CNN)"A great day for us," he said.', '"A great day for us," he said.'),
    ],
)
def test_leading_dateline_is_stripped(sentence: str, expected: str) -> None:
    assert strip_dateline(sentence) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "The council approved the budget.",
        "He told CNN (CNN) nothing at all.",  # not at the start
        "The agency (AP) said it would appeal.",
        "FBI Director James Comey -- The man who knew too much.",  # a subject, not a place
        "NASA — the space agency — said so.",  # lower case after the dash: prose
        "(CNN) -- Short one.",  # too little left to be a sentence
        "Ask CNN: what happened?",
    ],
)
def test_prose_keeps_its_start(sentence: str) -> None:
    assert strip_dateline(sentence) == sentence


def test_dateline_check_is_bounded() -> None:
    sentence = "A " * 50_000 + "(CNN) The end."
    assert strip_dateline(sentence) == sentence
