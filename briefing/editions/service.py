"""Editions as users see them: send now, preview, test copies, history and counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from briefing.core.clock import as_utc, utcnow
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import (
    Article,
    DeliveryStatus,
    Edition,
    EditionKind,
    EditionStatus,
    MailingList,
)
from briefing.delivery.claims import edition_counts
from briefing.delivery.pacing import Pause
from briefing.delivery.send_edition import paused
from briefing.editions.compose import compose, render_composition
from briefing.editions.feedback_rates import FeedbackRates, feedback_rates
from briefing.editions.render import TOP_STORIES, RenderedEdition, web_version
from briefing.editions.schedule import local_now
from briefing.editions.storyline import story_article
from briefing.stories.summary import headline_index
from briefing.subscribers.lists import get_list, subscriber_counts

# Past building, an edition's content is fixed: a send adds nothing to it.
BUILT = (EditionStatus.SENDING, EditionStatus.SENT, EditionStatus.EMPTY)
# Deliveries that went (or are going) to a reader, and the ones that never reached theirs.
REACHED = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.SENT)
UNREACHED = (DeliveryStatus.SKIPPED, DeliveryStatus.FAILED, DeliveryStatus.BOUNCED)


@dataclass(frozen=True)
class EditionInfo:
    id: int
    list_slug: str
    edition_date: date
    status: EditionStatus
    subject: str | None
    articles: int                     # items shown: stories (articles, before stories)
    counts: dict[str, int]
    note: str | None
    sent_at: object
    feedback: FeedbackRates | None = None   # bounces and complaints reported after sending
    paused: str | None = None               # why the list's sending is paused, if it is
    kind: EditionKind = EditionKind.DAILY   # or weekly: the week's top stories


def today_for(mailing_list: MailingList) -> date:
    return local_now(mailing_list, utcnow()).date()


def ensure_edition(db: Database, slug: str, day: date | None = None) -> tuple[int, bool]:
    """The list's edition for `day` (default: today, local): (id, created now?)."""
    mailing_list = get_list(db, slug)
    day = day or today_for(mailing_list)
    with db.session() as session:
        found = session.scalar(select(Edition.id).where(
            Edition.list_id == mailing_list.id, Edition.edition_date == day,
            Edition.kind == EditionKind.DAILY))
        if found is not None:
            return found, False
        edition = Edition(list_id=mailing_list.id, edition_date=day)
        try:
            with session.begin_nested():
                session.add(edition)
        except IntegrityError:
            return ensure_edition(db, slug, day)
        return edition.id, True


@dataclass(frozen=True)
class Content:
    """What the edition of a date holds: once it is built, what it was (or is being) sent
    with; before that, what would be sent now. A dry run, a preview and a test copy all show
    this, so none of them shows news that a real send would not send."""

    rendered: RenderedEdition | None  # None: no news, nothing would be (or was) sent
    selected: int                     # stories found, before the size cap
    readers: int                      # whom it was sent to, or would go to now
    built: EditionInfo | None         # the edition, when it is past building


def edition_content(db: Database, slug: str, settings: Settings, day: date | None = None
                    ) -> Content:
    mailing_list = get_list(db, slug)
    built = _built_edition(db, mailing_list.id, day or today_for(mailing_list))
    if built is not None:
        return _as_built(db, built)
    return _as_now(db, mailing_list, settings, day)


def _built_edition(db: Database, list_id: int, day: date) -> Edition | None:
    with db.session() as session:
        return session.scalar(select(Edition).where(
            Edition.list_id == list_id, Edition.edition_date == day,
            Edition.kind == EditionKind.DAILY, Edition.status.in_(BUILT)))


def _as_built(db: Database, edition: Edition) -> Content:
    info = edition_info(db, edition.id)
    rendered = None
    if edition.html and edition.text and edition.subject:
        rendered = RenderedEdition(edition.subject, edition.text, edition.html, info.articles)
    readers = sum(n for status, n in info.counts.items() if status in REACHED)
    return Content(rendered, info.articles, readers, info)


def _as_now(db: Database, mailing_list: MailingList, settings: Settings, day: date | None
            ) -> Content:
    draft = Edition(list_id=mailing_list.id, edition_date=day or today_for(mailing_list))
    with db.session() as session:
        composition = compose(session, draft, mailing_list, utcnow())
        session.expunge_all()
    readers = subscriber_counts(db, mailing_list.id)["active"]
    if not composition.articles:
        return Content(None, 0, readers, None)
    return Content(render_composition(settings, mailing_list, draft, composition),
                   composition.found, readers, None)


def built_note(content: Content) -> str | None:
    """What became of an edition already built, in words: when it was sent, to how many."""
    info = content.built
    if info is None:
        return None
    what = f"edition of {info.edition_date}"
    if info.status == EditionStatus.EMPTY:
        return f"{what} had no news: nothing was sent"
    if info.status == EditionStatus.SENDING:
        total = sum(info.counts.values())
        return f"{what} is being sent: {info.counts['sent']} of {total} readers so far"
    when = (f" at {as_utc(info.sent_at):%Y-%m-%d %H:%M} UTC"
            if isinstance(info.sent_at, datetime) else "")
    others = ", ".join(f"{info.counts[status]} {status}" for status in UNREACHED
                       if info.counts.get(status))
    return f"{what} was sent{when} to {content.readers} readers" + (
        f" ({others})" if others else "")


def write_preview(db: Database, slug: str, settings: Settings, day: date | None = None
                  ) -> tuple[Path | None, Content]:
    """The edition's web version as a file (None: no news), and what it holds."""
    content = edition_content(db, slug, settings, day)
    if content.rendered is None:
        return None, content
    folder = settings.data_dir / "previews"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}-{(day or today_for(get_list(db, slug))).isoformat()}.html"
    path.write_text(web_version(content.rendered.html), encoding="utf-8")
    return path, content


def edition_info(db: Database, edition_id: int) -> EditionInfo:
    with db.session() as session:
        edition = session.get(Edition, edition_id)
        if edition is None:
            raise InputError(f"no edition {edition_id}")
        mailing_list = session.get(MailingList, edition.list_id)
        assert mailing_list is not None
        rates = feedback_rates(session, edition.id)
    return EditionInfo(edition.id, mailing_list.slug, edition.edition_date, edition.status,
                       edition.subject,
                       len(edition.story_ids if edition.story_ids is not None
                           else edition.article_ids or []),
                       edition_counts(db, edition.id), edition.note, edition.sent_at, rates,
                       mailing_list.sending_paused, edition.kind)


def sending_paused(db: Database, settings: Settings, info: EditionInfo) -> Pause | None:
    """Why a sending edition is not moving: the SMTP server throttled the account."""
    return paused(db, settings) if info.status == EditionStatus.SENDING else None


def list_editions(db: Database, slug: str | None = None, *, limit: int = 30,
                  offset: int = 0) -> list[EditionInfo]:
    with db.session() as session:
        query = select(Edition.id).order_by(Edition.edition_date.desc(), Edition.id.desc())
        if slug:
            query = query.where(Edition.list_id == get_list(db, slug).id)
        ids = list(session.scalars(query.limit(max(1, min(limit, 200))).offset(max(0, offset))))
    return [edition_info(db, edition_id) for edition_id in ids]


def archived(db: Database, slug: str, day: date, kind: EditionKind = EditionKind.DAILY
             ) -> str | None:
    """The web version of a sent edition, for the public archive (every story: a reader's
    choice of topics narrows their email, not the archive)."""
    mailing_list = get_list(db, slug)
    with db.session() as session:
        edition = session.scalar(select(Edition).where(
            Edition.list_id == mailing_list.id, Edition.edition_date == day,
            Edition.kind == kind, Edition.status.in_([EditionStatus.SENDING, EditionStatus.SENT])))
        return web_version(edition.html) if edition is not None and edition.html else None


def archive_index(db: Database, slug: str) -> list[tuple[date, str]]:
    mailing_list = get_list(db, slug)
    with db.session() as session:
        rows = session.execute(select(Edition.edition_date, Edition.subject).where(
            Edition.list_id == mailing_list.id, Edition.kind == EditionKind.DAILY,
            Edition.status.in_([EditionStatus.SENDING, EditionStatus.SENT]))
            .order_by(Edition.edition_date.desc()).limit(365)).all()
    return [(row.edition_date, row.subject or "") for row in rows]


@dataclass(frozen=True)
class StoryLine:
    """One story as today's edition would rank it (`briefing stories list`)."""

    rank: int
    story: int | None  # None: an article grouping has not placed yet
    title: str
    score: float
    outlets: int
    update: bool
    top: bool
    articles: list[dict[str, object]]


def todays_stories(db: Database, slug: str, day: date | None = None
                   ) -> tuple[datetime, datetime, list[StoryLine]]:
    """What the list's edition would group and rank now: (since, cutoff, stories)."""
    mailing_list = get_list(db, slug)
    draft = Edition(list_id=mailing_list.id, edition_date=day or today_for(mailing_list))
    with db.session() as session:
        composition = compose(session, draft, mailing_list, utcnow())
        session.expunge_all()
    lines = []
    for rank, story in enumerate(composition.stories, start=1):
        articles = [composition.by_id[int(a.id)] for a in story.articles]
        lines.append(StoryLine(
            rank, story.story if story.story > 0 else None, _headline(articles),
            round(story.score, 4), story.outlets, story.update, rank <= TOP_STORIES,
            [{"id": a.id, "title": a.title, "source": a.source, "url": a.url,
              "published_at": a.published_at} for a in articles]))
    return composition.since, composition.cutoff, lines


def _headline(articles: list[Article]) -> str:
    return articles[headline_index([story_article(a) for a in articles])].title
