"""An edition becomes subject, plain text and HTML, once, with per-reader slots.

Jinja2 renders and premailer inlines the CSS once per edition. What differs per reader (the
greeting name and the personal unsubscribe and preferences links) is left as placeholder
tokens that `personalize` fills with a few string replacements, so premailer never runs per
reader.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from briefing.core.config import Settings
from briefing.core.models import Article, MailingList
from briefing.core.templating import inline_css, render
from briefing.mail.slots import NAME_SLOT, PREFERENCES_SLOT, UNSUBSCRIBE_SLOT, personalize

log = logging.getLogger(__name__)

# Gmail clips messages whose HTML is larger than about 102 KB; stay safely below.
MAX_HTML_BYTES = 95_000


@dataclass(frozen=True)
class ArticleView:
    title: str
    url: str | None
    source: str | None
    published: str | None
    summary: list[str]


@dataclass(frozen=True)
class RenderedEdition:
    subject: str
    text: str
    html: str
    articles_shown: int


def article_view(article: Article, summary: list[str]) -> ArticleView:
    published = article.published_at or article.created_at
    source = article.source or (urlsplit(article.url).hostname if article.url else None)
    return ArticleView(article.title, article.url, source,
                       f"{published:%d %b %Y}" if published else None, summary)


def archive_url(settings: Settings, mailing_list: MailingList, day: date) -> str:
    return f"{settings.base_url}/archive/{mailing_list.slug}/{day.isoformat()}"


def _context(settings: Settings, mailing_list: MailingList, day: date,
             articles: list[ArticleView], more: int) -> dict[str, Any]:
    return {
        "list": mailing_list, "date": day, "articles": articles, "more": more,
        "date_label": f"{day:%A, %d %B %Y}", "lead": articles[0].title if articles else "",
        "archive_url": archive_url(settings, mailing_list, day),
        "list_archive_url": f"{settings.base_url}/archive/{mailing_list.slug}",
        "name_slot": NAME_SLOT, "unsubscribe_url": UNSUBSCRIBE_SLOT,
        "preferences_url": PREFERENCES_SLOT,
        "preheader": " · ".join(a.title for a in articles[:3]),
    }


def render_edition(settings: Settings, mailing_list: MailingList, day: date,
                   articles: list[ArticleView]) -> RenderedEdition:
    """Render, dropping articles from the end (with a link to the web version) while the
    HTML would be clipped by Gmail."""
    shown = len(articles)
    while True:
        context = _context(settings, mailing_list, day, articles[:shown], len(articles) - shown)
        page = inline_css(render("email/briefing/body.html", **context))
        if len(page.encode()) <= MAX_HTML_BYTES or shown <= 1:
            break
        shown -= 1
    if shown < len(articles):
        log.warning("edition of %s on %s: %d of %d articles fit under Gmail's clipping size",
                    mailing_list.slug, day, shown, len(articles))
    subject = " ".join(render("email/briefing/subject.txt", **context).split())
    return RenderedEdition(subject, render("email/briefing/body.txt", **context), page, shown)


def web_version(rendered_html: str) -> str:
    """The archive's copy: no reader, so no greeting name and no personal links."""
    return personalize(rendered_html, name="", unsubscribe_url="#", preferences_url="#",
                       is_html=True)


