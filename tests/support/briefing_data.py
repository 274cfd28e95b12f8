"""Quick set-ups for daily-briefing tests: a list, many active readers, summarized news."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace

from sqlalchemy import insert, select

from briefing.core.clock import utcnow
from briefing.core.config import Settings
from briefing.core.db import Database, upgrade
from briefing.core.models import (
    ConsentSource,
    Delivery,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)
from briefing.ingest.adding import add_article, from_text
from briefing.operations import jobs
from briefing.subscribers.lists import ListChanges, create_list

POSTAL = "1 Main St, Springfield"
TOPICS = ("harbour", "railway", "library", "orchard", "museum", "bridge", "market", "clinic",
          "stadium", "airport", "theatre", "reservoir")


@contextmanager
def list_database(settings: Settings) -> Iterator[Database]:
    """The settings' database, migrated, with the "daily" list; disposed of afterwards."""
    db = Database(settings.database_url)
    upgrade(db)
    make_list(db)
    try:
        yield db
    finally:
        db.dispose()


def make_list(db: Database, slug: str = "daily", **changes: object) -> MailingList:
    values: dict[str, object] = {
        "name": "Daily Brief", "from_name": "The Daily Brief",
        "from_address": "news@example.org", "reply_to": "editor@example.org",
        "postal_address": POSTAL, "send_time": "07:00", "timezone": "UTC"}
    values.update(changes)
    return create_list(db, slug, ListChanges(**values))  # type: ignore[arg-type]


def add_readers(db: Database, slug: str, count: int, *, prefix: str = "reader",
                domain: str = "example.com") -> list[str]:
    """`count` active readers on the list, inserted in bulk; returns their addresses."""
    emails = [f"{prefix}{n:05d}@{domain}" for n in range(count)]
    now = utcnow()
    with db.session() as session:
        list_id = session.scalars(select(MailingList.id).where(MailingList.slug == slug)).one()
        session.execute(insert(Subscriber), [
            {"email": e, "email_key": e.casefold(), "name": f"Reader {n}", "attributes": {},
             "bounce_count": 0, "created_at": now, "updated_at": now}
            for n, e in enumerate(emails)])
        ids = session.execute(select(Subscriber.id).where(
            Subscriber.email_key.in_([e.casefold() for e in emails]))).scalars().all()
        session.execute(insert(Subscription), [
            {"list_id": list_id, "subscriber_id": i, "status": SubscriptionStatus.ACTIVE,
             "consent_source": ConsentSource.IMPORT, "consent_at": now, "confirmed_at": now,
             "confirmations_sent": 0, "created_at": now, "updated_at": now} for i in ids])
    return emails


def story_text(n: int, sentences: int = 8, words: int = 0) -> str:
    """A readable, unique article body; `words` pads every sentence to make it long."""
    padding = "".join(f" near the {TOPICS[(n + k) % len(TOPICS)]}" for k in range(words))
    return " ".join(
        f"Officials in district {n} said the {TOPICS[(n + i) % len(TOPICS)]} project reached "
        f"stage {i} after {i + n % 7} months of work{padding}." for i in range(sentences))


def add_news(db: Database, settings: Settings, count: int, *, prefix: str = "Story",
             start: int = 0, words: int = 0, url_base: str = "https://news.example.com",
             title_for: dict[int, str] | None = None) -> list[int]:
    """`count` articles added and summarized the way the app does it; returns their ids."""
    ids = []
    for n in range(start, start + count):
        title = (title_for or {}).get(n, f"{prefix} number {n} about the "
                                         f"{TOPICS[n % len(TOPICS)]}")
        article = replace(from_text(story_text(n, words=words), title=title),
                          url=f"{url_base}/{prefix.lower()}/{n}", source="Example News")
        with db.session() as session:
            ids.append(add_article(session, article).article_id)
    for article_id in ids:
        assert jobs.summarize_article(db, article_id, settings) == "summarized"
    return ids


def copies(recipients: Iterable[list[str]]) -> Counter[str]:
    """How many messages each address received."""
    return Counter(address for message in recipients for address in message)


def deliveries(db: Database, edition_id: int) -> list[Delivery]:
    with db.session() as session:
        return list(session.scalars(select(Delivery).where(Delivery.edition_id == edition_id)
                                    .order_by(Delivery.id)))
