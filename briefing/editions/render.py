"""An edition becomes subject, plain text and HTML, once, with per-reader slots.

Jinja2 renders and premailer inlines the CSS once per edition. What differs per reader (the
greeting name and the personal unsubscribe and preferences links) is left as placeholder
tokens that `personalize` fills with a few string replacements, so premailer never runs per
reader.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

from briefing.core.config import Settings
from briefing.core.models import Article, MailingList
from briefing.core.templating import inline_css, render
from briefing.editions.wording import Wording
from briefing.mail.slots import NAME_SLOT, PREFERENCES_SLOT, UNSUBSCRIBE_SLOT, personalize

log = logging.getLogger(__name__)

# Gmail clips messages whose HTML is larger than about 102 KB; stay safely below.
MAX_HTML_BYTES = 95_000


# The first stories of an edition, under "Top stories"; the rest come under "More stories".
TOP_STORIES = 3


@dataclass(frozen=True)
class SourceLink:
    source: str
    title: str
    url: str | None


@dataclass(frozen=True)
class StoryView:
    """One item of the briefing: a story, from one outlet's article or several."""

    title: str
    url: str | None
    source: str | None
    published: date | None
    summary: list[str]
    also: list[SourceLink] = field(default_factory=list)  # the other outlets' articles
    update: bool = False  # the story was in an earlier edition and has news since


@dataclass(frozen=True)
class RenderedEdition:
    subject: str
    text: str
    html: str
    articles_shown: int  # stories shown (each counts once, however many outlets)


def source_name(article: Article) -> str | None:
    return article.source or (urlsplit(article.url).hostname if article.url else None)


def story_view(articles: list[Article], summary: list[str], *, update: bool = False
               ) -> StoryView:
    """The first article gives the title and link; the others are "Also covered by"."""
    lead = articles[0]
    published = lead.published_at or lead.created_at
    also = [SourceLink(source_name(a) or a.title, a.title, a.url) for a in articles[1:]]
    return StoryView(lead.title, lead.url, source_name(lead),
                     published.date() if published else None, summary, also, update)


def archive_url(settings: Settings, mailing_list: MailingList, day: date,
                weekly: bool = False) -> str:
    kind = "weekly/" if weekly else ""
    return f"{settings.base_url}/archive/{mailing_list.slug}/{kind}{day.isoformat()}"


def _dates(words: Wording, day: date, weekly: bool) -> dict[str, str]:
    if not weekly:
        return {"date_label": words.long_date(day), "short_date": words.short_date(day)}
    # A weekly edition goes out from the Monday after the week it covers.
    started = day - timedelta(days=7)
    return {"date_label": words["week"].format(date=words.long_date(started)),
            "short_date": words["week"].format(date=words.short_date(started))}


def _context(settings: Settings, mailing_list: MailingList, day: date,
             stories: list[StoryView], more: int, weekly: bool) -> dict[str, Any]:
    words = Wording(mailing_list.locale)
    return {
        "list": mailing_list, "date": day, "articles": stories, "more": more,
        "words": words, "top": TOP_STORIES, "lang": words.language,
        "contents_label": words.counted("this_week" if weekly else "today", len(stories)),
        "more_label": words.counted("more_link", more),
        "why_label": words["why"].format(list=mailing_list.name),
        **_dates(words, day, weekly),
        "lead": stories[0].title if stories else "",
        "archive_url": archive_url(settings, mailing_list, day, weekly),
        "list_archive_url": f"{settings.base_url}/archive/{mailing_list.slug}",
        "name_slot": NAME_SLOT, "unsubscribe_url": UNSUBSCRIBE_SLOT,
        "preferences_url": PREFERENCES_SLOT,
        "preheader": " · ".join(a.title for a in stories[:3]),
    }


def render_edition(settings: Settings, mailing_list: MailingList, day: date,
                   articles: list[StoryView], *, weekly: bool = False) -> RenderedEdition:
    """Render, dropping articles from the end (with a link to the web version) while the
    HTML would be clipped by Gmail."""
    shown = len(articles)
    while True:
        context = _context(settings, mailing_list, day, articles[:shown], len(articles) - shown,
                           weekly)
        page = inline_css(render("email/briefing/body.html", **context))
        if len(page.encode()) <= MAX_HTML_BYTES or shown <= 1:
            break
        shown -= 1
    if shown < len(articles):
        log.warning("edition of %s on %s: %d of %d stories fit under Gmail's clipping size",
                    mailing_list.slug, day, shown, len(articles))
    subject = " ".join(render("email/briefing/subject.txt", **context).split())
    return RenderedEdition(subject, render("email/briefing/body.txt", **context), page, shown)


def web_version(rendered_html: str) -> str:
    """The archive's copy: no reader, so no greeting name and no personal links."""
    return personalize(rendered_html, name="", unsubscribe_url="#", preferences_url="#",
                       is_html=True)


