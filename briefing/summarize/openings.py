"""Sentence openings that lean on the sentence before: "He said…", "But…", "This comes after…".

Out of its article, such a sentence points at a referent the reader never saw; the default
summarizer (:mod:`briefing.summarize.newsrank`) therefore takes the sentence before it too, or
another one.  The lists cover third-person pronouns and possessives, demonstratives and the
connectives that continue an argument, for English, German, French, Spanish, Italian,
Portuguese, Dutch, Czech, Russian, Chinese and Japanese; a language without a list never counts
as dangling.
Demonstratives that only point at a time ("This year", "Cette semaine") are not dangling.
"""

from __future__ import annotations

import re

__all__ = ["DANGLING_LANGUAGES", "opens_dangling"]

_EN = """he she it they him them his her hers its their theirs this that these those such
but however also and or so yet still meanwhile moreover furthermore besides nevertheless
nonetheless instead thus therefore hence consequently otherwise then too though another
in-addition as-a-result on-the-other-hand in-contrast by-contrast for-example for-instance
even-so despite-this because-of-this after-that the-latter the-former at-the-same-time"""
_DE = """er sie es ihm ihn ihr ihre ihren ihrem ihrer sein seine seinen seinem seiner dies
diese dieser dieses diesen damit dabei dazu darauf daher deshalb deswegen dennoch trotzdem
jedoch aber allerdings außerdem zudem auch und oder doch dann somit folglich stattdessen
ebenfalls gleichzeitig"""
_FR = """il elle ils elles lui leur leurs son sa ses ce cet cette ces cela ceci ça celui celle
ceux celles mais cependant pourtant toutefois néanmoins aussi ainsi donc alors puis ensuite
et or sinon en-outre par-ailleurs de-plus en-revanche"""
_ES = """él ella ellos ellas su sus este esta estos estas esto eso ese esa pero además
también así entonces y o sin-embargo no-obstante por-lo-tanto por-eso"""
_IT = """lui lei loro egli essa esso suo sua suoi sue questo questa questi queste ciò ma però
tuttavia inoltre anche quindi poi e o infatti"""
_PT = """ele ela eles elas seu sua seus suas este esta isso isto esse essa mas porém contudo
entretanto também assim então e além-disso"""
_NL = """hij zij ze hem haar hun zijn dit deze dat die maar echter ook bovendien daarom toch
dan en"""
_CS = """on ona ono oni ony jeho její jejich ten ta to tento tato toto tyto ale však avšak
také rovněž proto přesto navíc a"""
_RU = """он она оно они его её ее их ему ей им это этот эта эти тот та те но однако также
тоже поэтому и а кроме-того при-этом тем-не-менее"""
# Chinese and Japanese have no spaces: these are prefixes of the sentence.
_ZH = "他 她 它 这 那 此 该 但 然而 此外 因此 所以 而 并且 同时 不过 另外"
_JA = "彼 これ それ この その こう そう しかし だが また さらに ただ 一方 なお"
# Demonstratives followed by one of these point at a time, not at the previous sentence.
_TIME = """year week month morning afternoon evening night weekend season summer winter spring
autumn jahr woche monat morgen abend wochenende sommer année semaine mois matin soir été hiver
printemps automne"""
_DEMONSTRATIVE = "this that these those dies diese dieser dieses diesen ce cet cette ces"
# Expletive openings: "il y a" (there is), "es gibt" (there is), "it is" stays dangling.
_EXPLETIVES = ("il y a", "il faut", "es gibt")


def _phrases(words: str) -> frozenset[str]:
    return frozenset(w.replace("-", " ") for w in words.split())


_TIME_WORDS, _DEMONSTRATIVES = _phrases(_TIME), _phrases(_DEMONSTRATIVE)

_SPACED: dict[str, frozenset[str]] = {
    "en": _phrases(_EN), "de": _phrases(_DE), "fr": _phrases(_FR), "es": _phrases(_ES),
    "it": _phrases(_IT), "pt": _phrases(_PT), "nl": _phrases(_NL), "cs": _phrases(_CS),
    "ru": _phrases(_RU),
}
_PREFIXES: dict[str, tuple[str, ...]] = {"zh": tuple(_ZH.split()), "ja": tuple(_JA.split())}
DANGLING_LANGUAGES = frozenset(_SPACED) | frozenset(_PREFIXES)
# Openers of quoted or bracketed text, dashes and bullets before the first word.
_LEAD = re.compile(r"^[\s\"'“”‘’«»„(\[–—•*-]+")
_WORDS = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_LONGEST_PHRASE = 4


def opens_dangling(sentence: str, language: str) -> bool:
    """Whether *sentence* opens with a word that needs the sentence before it."""
    text = _LEAD.sub("", sentence)
    if language in _PREFIXES:
        return text.startswith(_PREFIXES[language])
    phrases = _SPACED.get(language)
    if phrases is None:
        return False
    words = [w.lower() for w in _WORDS.findall(text[:80])[:_LONGEST_PHRASE]]
    if not words or " ".join(words).startswith(_EXPLETIVES):
        return False
    if words[0] in _DEMONSTRATIVES and len(words) > 1 and words[1] in _TIME_WORDS:
        return False
    return any(" ".join(words[:n]) in phrases for n in range(1, len(words) + 1))
