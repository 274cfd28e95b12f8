"""Remove site furniture (share buttons, subscribe appeals, photo credits...) from article text.

Extracted article text often carries lines that belong to the page, not to the story:
"Comments are closed.", "Share on Facebook", "(AP Photo/Jane Doe)", "Advertisement",
newsletter and donation appeals, cookie notices, bylines and time stamps.  They waste storage,
and summarizers happily pick them because they are short and repeated across articles.

The work is line-wise: a line is dropped when it *as a whole* looks like furniture.  Only short
lines are tested (furniture is never a long paragraph), so a real paragraph that merely mentions
"subscribers" or "comments" is kept, and the cost is linear in the text length.  Patterns are
generic rather than tuned to one site.  :func:`is_boilerplate` is public so that sentence-level
code (the summarizer) can apply the same judgement to sentences found inside flat text.
"""

from __future__ import annotations

import re

__all__ = ["is_boilerplate", "normalize_whitespace", "strip_boilerplate", "strip_dateline"]

# Furniture lines are short; longer lines are prose and are never tested against the patterns,
# which keeps the work linear and the regexes cheap.
MAX_FURNITURE_CHARS = 300
# Appeals ("support our journalism...") can be a long sentence, but not a paragraph.
MAX_APPEAL_WORDS = 40

_I = re.IGNORECASE

# Whole-line furniture: each pattern must match the complete (stripped) line.
_LINE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p, _I)
    for p in (
        # Comment widgets.
        r"comments?\s+(are|is)\s+(now\s+)?(closed|disabled|off)\b.*",
        r"(\d+\s+)?comments?(\s*\(\d+\))?[.:]?",
        r"(view|show|read|add|post|leave)\s+(all\s+)?(\d+\s+)?comments?\s*(\(\d+\))?[.:]?",
        # Video and gallery prompts.
        r"scroll\s+down\s+(for|to\s+(see|watch))\s+(the\s+)?video\b.*",
        r"(watch|play)\s+(the\s+)?video\b[\s:.!]*",
        r"(video|gallery)\s*:?\s*",
        # Ads.
        r"(advertisement|advertising|sponsored(\s+content)?|ad)\s*[.:]?",
        # Cross links.
        r"(read\s+more|more\s+on\s+this(\s+story)?|related(\s+(articles?|stories|content|"
        r"topics|coverage))?|see\s+also|also\s+read|you\s+may\s+also\s+like|recommended"
        r"(\s+for\s+you)?|most\s+(read|popular))\s*[:>»-].*",
        r"(read\s+more|related\s+(articles?|stories)|you\s+may\s+also\s+like|recommended"
        r"\s+for\s+you|most\s+(read|popular)|more\s+stories)\s*[.:]?",
        r"click\s+here\b.*",
        # Newsletter / account prompts.
        r"(sign\s+up|subscribe|register)\s+(now\s+|today\s+)?(for|to)\s+(our|the)\b.*",
        r"(sign\s+up|subscribe|log\s*in|sign\s+in|register)\s*(now|today|here)?\s*[.!]?",
        r"(follow\s+us|like\s+us)\s+on\b.*",
        # "Follow @jsmith on Twitter", "Follow Jane Smith on Twitter: @jsmith": a follow
        # prompt names a handle; "Follow the money" has none and stays.
        r"follow\s+@\w+.{0,60}",
        r"follow\s+[^@\s][^@]{0,40}\s+on\s+(twitter|x|instagram|facebook|tiktok|threads)"
        r"\s*(at\s*|:\s*)?@\w+\s*[.!]?",
        # Share buttons, possibly several on one line ("Share | Tweet | Email").
        r"((share|send)(\s+(this|the)\s+(article|story|page))?(\s+(on|via|by|to)\s+"
        r"(facebook|twitter|x|linkedin|whatsapp|reddit|pinterest|email|e-mail|messenger))?"
        r"|tweet|email|e-mail|print|pin(\s+it)?|whatsapp|copy\s+link|facebook|twitter|linkedin"
        r"|reddit)(\s*[|•·,/]?\s*((share|send)(\s+(this|the)\s+(article|story|page))?"
        r"(\s+(on|via|by|to)\s+\w+)?|tweet|email|e-mail|print|pin(\s+it)?|whatsapp"
        r"|copy\s+link|facebook|twitter|linkedin|reddit))*\s*[.:]?",
        # Photo credits and image captions markers.
        r"(photo|photograph|picture|image|pic|video|graphic|illustration)s?"
        r"(\s+(credit|copyright|caption|source))?\s*[:©].*",
        r"(image|photo)\s+(copyright|caption|source)\b.*",
        r".*\((ap|afp|reuters|epa|getty|pa|ansa|xinhua)(\s+(photo|images?|wire))?\s*/[^()]*\)"
        r"\s*\.?",
        r".{0,120}/\s*(getty\s+images|reuters|afp|ap|epa|shutterstock|alamy|pa\s+wire)\s*\.?",
        r"(source|credit|copyright|courtesy)\s*:.*",
        # Rights and cookies.
        r"(©|\(c\)).*",
        r"copyright\s*(©|\(c\))?\s*\d{4}\b.*",
        r".{0,120}\ball\s+rights\s+reserved\b.*",
        # Bylines and time stamps.
        r"by\s*\.?\s*(daily\s+mail|mail\s+online|associated\s+press|press\s+association|"
        r"reuters|afp|staff|cnn)(\s+(reporter|staff|wire|writer)s?)?\s*\.?",
        # Sentence splitters cut DailyMail's dotted byline "By . Daily Mail Reporter . PUBLISHED:
        # ..." into "By ." and "Daily Mail Reporter ."; both pieces are furniture on their own.
        r"by\s*[.:]?",
        r"(daily\s+mail|mail\s*online|associated\s+press|press\s+association|reuters|afp|cnn)"
        r"(\s+(australia|reporter|staff|wire|writer|correspondent)s?){1,2}\s*\.?",
        # The whole dotted header on one line: byline, then published/updated stamps.
        r"by\s*\.?\s*[^.|]{1,60}?\s*\.\s*(published|updated)\s*:.{0,120}",
        # A time stamp needs its number right after the cue ("Last updated at 10:32 ..."), so
        # "Last updated in 2010, the rules are out of date." is prose.
        r"last\s+(updated|modified)(\s*:|\s+at|\s+on)?\s*[.\s]*\d.{0,80}",
        r"(updated|modified|published|posted)\s*:.{0,80}",
        r"(updated|published|posted)\s+(at|on)\s+.{0,60}\d.{0,20}",
        r"published\s*:.*\|\s*updated\s*:.*",
        # Wire-service credits ("Reporting by Jane Doe; Editing by John Roe").
        r"\(?\s*(additional\s+)?reporting\s+by\s+[^;()]{1,120}"
        r"(;\s*(additional\s+reporting|writing|editing)\s+by\s+[^;()]{1,120}){1,3}\)?\.?",
        r"\(?\s*(writing|editing)\s+by\s+[^()]{1,120}\)?\.?",
        r"our\s+standards\s*:.*",
        # Audio players, caption toggles, in-text ad markers and page chrome.
        r"listen(\s+to\s+(this|the)\s+(article|story))?(\s*[(|·-]?\s*\d+\s*min(ute)?s?\)?)?"
        r"\s*[.:]?",
        r"(story|article)\s+continues\s+(below|after)(\s+(this\s+)?(advertisement|ad))?\s*[.:]?",
        r"advertisement\s*[-–—:]\s*scroll\s+to\s+continue.*",
        r"(enlarge\s+this\s+image|toggle\s+caption|hide\s+caption|show\s+caption)\b.*",
        r"(please\s+)?enable\s+javascript\b.*",
        r"(skip\s+to\s+(main\s+)?content|back\s+to\s+top|loading\.{0,3})\s*",
        r"this\s+(article|story)\s+(was\s+)?(originally\s+|first\s+)?(published|appeared)"
        r"\s+(on|in|at)\b.{0,150}",
    )
)
# All whole-line patterns as one alternation: a single regex call per line.
_FURNITURE_LINE = re.compile("|".join(f"(?:{p.pattern})" for p in _LINE_PATTERNS), _I)

# Bylines are case-sensitive: "By JOHN SMITH" / "By Jane Doe and John Roe, Reuters" alone on a
# line, while "By Tuesday, all of them had left." is prose.
_BYLINE = re.compile(
    r"(By|BY)\s*[.:]?\s*[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,4}"
    r"(?:\s*(?:,|and|&)\s*[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,4}){0,3}\s*[.,]?"
)

# Appeals: a short line that mentions supporting/paying for the journalism and addresses the
# reader.  Both conditions are required so "The firm lost 464,000 subscribers" is kept.
_APPEAL_TOPIC = re.compile(
    r"\b(subscrib\w*|donat\w*|journalism|newsletter|paywall|"
    r"support\s+(us|our))\b",
    _I,
)
_QUOTE = re.compile(r"""^["'“‘]|\b(said|says|told)\b""")
_APPEAL_READER = re.compile(r"\b(you|your|us|our|we)\b", _I)
_APPEAL_PHRASES = re.compile(
    r"\bjournalism\s+is\s+(now\s+)?(more\s+)?(crucial|important|vital|essential|needed)\b"
    r"|\bby\s+subscribing\b|\bsupport\s+(our|independent|quality)\s+journalism\b"
    r"|\bhelp\s+us\s+(tell|keep|continue|deliver|report)\b",
    _I,
)
_COOKIE = re.compile(
    r"\bcookies?\b.*\b(we\s+use|this\s+(site|website)|accept|consent|policy|browsing|"
    r"settings|preferences)\b|\b(we\s+use|this\s+(site|website)\s+uses)\b.*\bcookies?\b",
    _I,
)

# Inline furniture in flat text (no line breaks), e.g. "... museum. Scroll down for video . Obama".
_INLINE = re.compile(r"\b(scroll\s+down\s+for\s+(the\s+)?video)\s*[.!]?\s*", _I)
_SPACES = re.compile(r"[^\S\n]+")
_BLANKS = re.compile(r"\n{3,}")


# A dateline in front of a story's first sentence: an optional place ("LONDON, England",
# "Kathmandu, Nepal", "West of Baghdad, Iraq") followed by a wire or network in brackets and an
# optional dash -- "(CNN) --", "WASHINGTON (Reuters) -", "(AP) —" -- or an all-capitals place
# and a dash ("NEW YORK — ", "LONDON, England -- ").  Capitalized words and a few lower-case
# connectors only, so prose such as "He told CNN (CNN) ..." or "FBI Director James Comey -- ..."
# is not a dateline.  Only the first _MAX_DATELINE_CHARS characters are looked at.
_PLACE = r"[A-Z][\w.'’-]*(?:,?\s+(?:[A-Z][\w.'’-]*|of|de|la|el|del|upon|on))*"
_AGENCY = r"(?:CNN|AP|AFP|Reuters|UPI|dpa|DPA|Xinhua|Bloomberg|PA|ANSA|EFE|TASS|BBC)"
_DATELINE = re.compile(
    rf"(?:(?:{_PLACE}),?\s*)?\(\s*{_AGENCY}\s*\)\s*(?:--|—|–|-|:)?\s*"
    r"|[A-Z][A-Z.'’-]+(?:\s+[A-Z][A-Z.'’-]+){0,3}(?:,\s+[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,2})?"
    r"\s+(?:--|—|–)\s+"
)
# What may follow a dateline: the sentence proper, starting like one.
_SENTENCE_START = re.compile(r"[\"“‘'A-Z0-9]")
_MAX_DATELINE_CHARS = 80


def strip_dateline(sentence: str) -> str:
    """*sentence* without a leading dateline ("LONDON, England (CNN) -- "), else unchanged.

    Summaries show sentences out of their article, where a dateline is noise.  The rest must
    still look like a sentence (capital letter, digit or quote first, three words or more).
    """
    match = _DATELINE.match(sentence[:_MAX_DATELINE_CHARS])
    if match is None:
        return sentence
    rest = sentence[match.end() :]
    if not _SENTENCE_START.match(rest) or len(rest.split()) < 3:
        return sentence
    return rest


def _is_appeal(line: str) -> bool:
    if _APPEAL_PHRASES.search(line):
        return True
    if len(line.split()) > MAX_APPEAL_WORDS:
        return False
    return bool(_APPEAL_TOPIC.search(line) and _APPEAL_READER.search(line)) and not _is_quote(line)


def _is_quote(line: str) -> bool:
    # Reported speech ("'We need subscribers,' she said.") is story, not furniture.
    return bool(_QUOTE.search(line))


def is_boilerplate(line: str) -> bool:
    """Tell whether one stripped line (or sentence) is site furniture rather than prose."""
    line = line.strip()
    if not line or len(line) > MAX_FURNITURE_CHARS:
        return False
    if _BYLINE.fullmatch(line) or _FURNITURE_LINE.fullmatch(line):
        return True
    return _is_appeal(line) or bool(_COOKIE.search(line))


def normalize_whitespace(text: str) -> str:
    """Collapse space runs, strip lines, and keep at most one blank line between paragraphs."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def strip_boilerplate(text: str) -> str:
    """Return *text* without furniture lines, with normalized whitespace and paragraphs kept."""
    text = _INLINE.sub("", normalize_whitespace(text))
    kept = [line for line in text.split("\n") if not is_boilerplate(line)]
    return normalize_whitespace("\n".join(kept))
