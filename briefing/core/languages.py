"""Language names and codes: ISO 639-1 for a tag, a code or an English name.

Settings validate a language with it, so it sits below every stage; detecting the language
of a text lives in :mod:`briefing.text.language`.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# py3langid's labels that are varieties of a language with an ISO 639-1 code: their
# probability counts for that language (Wu and Cantonese Chinese are written in the same
# characters, and summarizing them needs nothing different).  Labels with no ISO 639-1 code
# and no such parent are left out.
FOLDED = {
    "wuu": "zh", "yue": "zh", "ary": "ar", "arz": "ar", "uzs": "uz", "hbo": "he",
    "gug": "gn", "pcm": "en",
}
_TAG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_][0-9A-Za-z-_]*)?$")


def language_code(value: object) -> str | None:
    """ISO 639-1 code for a tag ("de-AT"), a code ("deu", "de") or an English name; else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    tag = _TAG.match(value)
    return _lookup(tag.group(1).lower() if tag else value.lower())


# Old codes still found in the wild (Java and older browsers send them).
_RENAMED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}


@lru_cache(maxsize=512)
def _lookup(value: str) -> str | None:
    """Codes first, names last: pycountry's lookup alone would read "en" as the En language."""
    value = _RENAMED.get(value, value)
    if value in FOLDED:
        return FOLDED[value]
    import pycountry  # ~80 ms to import: only when a code is first looked up

    languages: Any = pycountry.languages
    for field in ("alpha_2", "alpha_3", "bibliographic", "name"):
        record = languages.get(**{field: value})
        if record is not None:
            return getattr(record, "alpha_2", None)
    return None
