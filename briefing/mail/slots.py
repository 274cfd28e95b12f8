"""The per-reader slots an edition is rendered with once, and how each reader's copy fills them.

Rendering (Jinja2 + premailer) happens once per edition; the greeting name and the personal
links are placeholder tokens that a few string replacements fill per reader, in
:mod:`briefing.mail.prepared` for the wire and in :func:`personalize` for a page.
"""

from __future__ import annotations

import html
import re

# Plain ASCII letters: they survive HTML escaping, CSS inlining and quoted-printable alike.
# The name slot stands for " Name" — the space included — so a reader without a name is
# greeted "Good morning," and not "Good morning ,".
NAME_SLOT = "XBRIEFINGREADERNAMEX"
UNSUBSCRIBE_SLOT = "XBRIEFINGUNSUBSCRIBEURLX"
PREFERENCES_SLOT = "XBRIEFINGPREFERENCESURLX"
SLOTS = re.compile(f"({NAME_SLOT}|{UNSUBSCRIBE_SLOT}|{PREFERENCES_SLOT})")


def greeting_name(name: str) -> str:
    """What fills the name slot: the name after a space, or nothing at all."""
    return f" {name}" if name else ""


def personalize(template: str, *, name: str, unsubscribe_url: str, preferences_url: str,
                is_html: bool) -> str:
    values = {NAME_SLOT: greeting_name(name), UNSUBSCRIBE_SLOT: unsubscribe_url,
              PREFERENCES_SLOT: preferences_url}
    if is_html:
        values = {slot: html.escape(value) for slot, value in values.items()}
    # One pass, as fastmime fills them: a name that spells a slot stays a name.
    return SLOTS.sub(lambda found: values[found.group(0)], template)
