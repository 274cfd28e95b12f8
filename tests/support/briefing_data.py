"""Quick set-ups for daily-briefing tests: a list, many active readers, summarized news."""

from __future__ import annotations

import random
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


_SYLLABLES = ("ka", "lo", "mi", "ra", "ven", "tor", "sil", "dan", "mur", "bel", "quin", "zor",
              "pal", "ner", "gus", "fey", "ost", "wyn", "hal", "dru")
_NOUNS = (
    "budget", "council", "harvest", "tunnel", "festival", "vaccine", "pipeline", "strike",
    "election", "drought", "merger", "satellite", "treaty", "verdict", "glacier", "bakery",
    "orchestra", "ferry", "wildfire", "refinery", "telescope", "pension", "tariff", "canal",
    "lighthouse", "vineyard", "protest", "textbook", "submarine", "mine", "monsoon", "casino",
    "cathedral", "quarry", "regatta", "rocket", "scandal", "shipyard", "silo", "startup",
    "subway", "summit", "tornado", "tramway", "turbine", "university", "volcano", "warehouse",
    "zoo", "archive", "ballet", "barracks", "beehive", "brewery", "campus", "carnival",
    "chess", "circus", "dam", "dairy", "embassy", "factory", "fishery", "forest", "garage",
    "hospital", "hotel", "island", "jungle", "laboratory", "marathon", "meadow", "mill",
    "observatory", "opera", "palace", "parliament", "pier", "prison", "railroad", "ranch",
    "salmon", "sawmill", "school", "senate", "shelter", "smelter", "stable", "steelworks",
    "studio", "tavern", "temple", "tournament", "vault", "village", "wetland", "workshop")
_VERBS = ("approved", "rejected", "opened", "closed", "delayed", "funded", "inspected",
          "expanded", "repaired", "sold", "audited", "praised", "criticised", "rebuilt")


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(4)).capitalize()


def made_up_words(n: int, count: int) -> str:
    """*count* words nobody else uses (for long headlines that stay one article's own)."""
    rng = random.Random(-n - 1)
    return " ".join(_name(rng) for _ in range(count))


def story_title(n: int, prefix: str = "Story") -> str:
    """A headline naming the article's own people and place (see story_text)."""
    rng = random.Random(n)
    person, place = _name(rng), _name(rng)
    return f"{person} in {place} and the {TOPICS[n % len(TOPICS)]} ({prefix} number {n})"


def story_text(n: int, sentences: int = 8, words: int = 0) -> str:
    """A readable article body about its own event: the people, places and things it names
    are drawn for it alone, so story grouping keeps each article apart. `words` pads every
    sentence to make it long."""
    rng = random.Random(n)
    person, place = _name(rng), _name(rng)
    # Mostly words of its own (made of syllables), so two articles share almost nothing.
    things = [f"{rng.choice(_NOUNS)} of {_name(rng)}" for _ in range(sentences + 1)]
    verb = _name(rng).lower() + "ed"
    padding = "".join(f" near {word}" for word in made_up_words(n, words).split())
    return " ".join(
        f"In {place}, {person} {verb} the {things[i]} and the {things[i + 1]} "
        f"({n}.{i}){padding}." for i in range(sentences))


def add_news(db: Database, settings: Settings, count: int, *, prefix: str = "Story",
             start: int = 0, words: int = 0, url_base: str = "https://news.example.com",
             title_for: dict[int, str] | None = None, tags: tuple[str, ...] = ()
             ) -> list[int]:
    """`count` articles added and summarized the way the app does it; returns their ids."""
    ids = []
    for n in range(start, start + count):
        title = (title_for or {}).get(n, story_title(n, prefix))
        article = replace(from_text(story_text(n, words=words), title=title),
                          url=f"{url_base}/{prefix.lower()}/{n}", source="Example News",
                          tags=tags)
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
