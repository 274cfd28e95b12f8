"""Editions as users see them: send now, preview, test copies, history and counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from briefing.clock import utcnow
from briefing.config import Settings
from briefing.db import Database
from briefing.deliver import edition_counts, paused
from briefing.edition import compose, render_composition
from briefing.fastmime import Reader, prepare
from briefing.lists import get_list
from briefing.mailer import make_sender
from briefing.models import Edition, EditionStatus, MailingList
from briefing.pacing import Pause
from briefing.render import RenderedEdition, web_version
from briefing.schedule import local_now
from briefing.textnorm import InputError


@dataclass(frozen=True)
class EditionInfo:
    id: int
    list_slug: str
    edition_date: date
    status: EditionStatus
    subject: str | None
    articles: int
    counts: dict[str, int]
    note: str | None
    sent_at: object


def today_for(mailing_list: MailingList) -> date:
    return local_now(mailing_list, utcnow()).date()


def ensure_edition(db: Database, slug: str, day: date | None = None) -> tuple[int, bool]:
    """The list's edition for `day` (default: today, local): (id, created now?)."""
    mailing_list = get_list(db, slug)
    day = day or today_for(mailing_list)
    with db.session() as session:
        found = session.scalar(select(Edition.id).where(
            Edition.list_id == mailing_list.id, Edition.edition_date == day))
        if found is not None:
            return found, False
        edition = Edition(list_id=mailing_list.id, edition_date=day)
        try:
            with session.begin_nested():
                session.add(edition)
        except IntegrityError:
            return ensure_edition(db, slug, day)
        return edition.id, True


def render_now(db: Database, slug: str, settings: Settings, day: date | None = None
               ) -> tuple[RenderedEdition | None, int]:
    """What the list's edition would hold now, without storing or sending anything."""
    mailing_list = get_list(db, slug)
    draft = Edition(list_id=mailing_list.id, edition_date=day or today_for(mailing_list))
    with db.session() as session:
        composition = compose(session, draft, mailing_list, utcnow())
        session.expunge_all()
    if not composition.articles:
        return None, 0
    return render_composition(settings, mailing_list, draft, composition), len(
        composition.articles)


def write_preview(db: Database, slug: str, settings: Settings, day: date | None = None
                  ) -> Path | None:
    rendered, _ = render_now(db, slug, settings, day)
    if rendered is None:
        return None
    folder = settings.data_dir / "previews"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}-{(day or today_for(get_list(db, slug))).isoformat()}.html"
    path.write_text(web_version(rendered.html), encoding="utf-8")
    return path


def send_test_copy(db: Database, slug: str, address: str, settings: Settings) -> str:
    """One copy to `address` only: nothing is recorded and no reader gets anything."""
    from briefing.addresses import parse_address

    to = parse_address(address)
    mailing_list = get_list(db, slug)
    rendered, _ = render_now(db, slug, settings)
    if rendered is None:
        raise InputError(f"list {slug!r} has no news to send right now")
    message = prepare(from_address=mailing_list.from_address,
                      from_name=mailing_list.from_name, reply_to=mailing_list.reply_to,
                      subject=f"[test] {rendered.subject}", list_name=mailing_list.name,
                      list_slug=slug,
                      unsubscribe_mailto=None, text=rendered.text, html=rendered.html)
    domain = mailing_list.from_address.rpartition("@")[2]
    reader = Reader(email=to.email, name="", unsubscribe_url=f"{settings.base_url}/",
                    one_click_url=f"{settings.base_url}/", preferences_url=f"{settings.base_url}/",
                    message_id=f"<test.{utcnow():%Y%m%d%H%M%S%f}@{domain}>")
    with make_sender(settings) as sender:
        return sender.send(message.for_reader(reader))


def edition_info(db: Database, edition_id: int) -> EditionInfo:
    with db.session() as session:
        edition = session.get(Edition, edition_id)
        if edition is None:
            raise InputError(f"no edition {edition_id}")
        mailing_list = session.get(MailingList, edition.list_id)
        assert mailing_list is not None
    return EditionInfo(edition.id, mailing_list.slug, edition.edition_date, edition.status,
                       edition.subject, len(edition.article_ids or []),
                       edition_counts(db, edition.id), edition.note, edition.sent_at)


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


def archived(db: Database, slug: str, day: date) -> str | None:
    """The web version of a sent edition, for the public archive."""
    mailing_list = get_list(db, slug)
    with db.session() as session:
        edition = session.scalar(select(Edition).where(
            Edition.list_id == mailing_list.id, Edition.edition_date == day,
            Edition.status.in_([EditionStatus.SENDING, EditionStatus.SENT])))
        return web_version(edition.html) if edition is not None and edition.html else None


def archive_index(db: Database, slug: str) -> list[tuple[date, str]]:
    mailing_list = get_list(db, slug)
    with db.session() as session:
        rows = session.execute(select(Edition.edition_date, Edition.subject).where(
            Edition.list_id == mailing_list.id,
            Edition.status.in_([EditionStatus.SENDING, EditionStatus.SENT]))
            .order_by(Edition.edition_date.desc()).limit(365)).all()
    return [(row.edition_date, row.subject or "") for row in rows]
