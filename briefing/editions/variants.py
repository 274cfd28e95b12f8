"""An edition for each choice of topics its readers made: planned from the distinct choices
(never from the readers), rendered once each, and assigned to the readers' deliveries with
one UPDATE per choice.

A reader who chose no topic, or every topic, or only topics the list no longer offers, gets
the edition itself. A choice the day's news does not touch sends nothing to those readers
that day: their deliveries are skipped, with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from briefing.core.models import (
    Article,
    Delivery,
    DeliveryStatus,
    EditionVariant,
    Frequency,
    Subscription,
    SubscriptionStatus,
)
from briefing.editions.render import RenderedEdition
from briefing.stories.ranking import RankedStory
from briefing.subscribers.topics import EVERYTHING, effective_topics, topics_key

NOTHING_IN_TOPICS = "not sent: no story in the reader's topics in this edition"


@dataclass(frozen=True)
class Variant:
    topics: frozenset[str]
    stored_keys: tuple[str, ...]   # the readers' stored choices that mean these topics
    stories: list[RankedStory]     # best first, capped like the edition


def stored_choices(session: Session, list_id: int, frequencies: Sequence[Frequency]
                   ) -> list[str]:
    """The distinct choices of topics among the readers this edition goes to."""
    return sorted(session.scalars(select(Subscription.topics).distinct().where(
        Subscription.list_id == list_id, Subscription.status == SubscriptionStatus.ACTIVE,
        Subscription.frequency.in_(frequencies), Subscription.topics != EVERYTHING)))


def plan_variants(stored: Sequence[str], offered: Sequence[str], ranked: Sequence[RankedStory],
                  by_id: Mapping[int, Article], cap: int) -> list[Variant]:
    """One variant per distinct effective choice, with the best `cap` stories about it."""
    groups: dict[frozenset[str], list[str]] = {}
    for key in stored:
        topics = effective_topics(key, offered)
        if topics:
            groups.setdefault(topics, []).append(key)
    return [Variant(topics, tuple(keys), [s for s in ranked if _about(s, topics, by_id)][:cap])
            for topics, keys in sorted(groups.items(), key=lambda item: sorted(item[0]))]


def _about(story: RankedStory, topics: frozenset[str], by_id: Mapping[int, Article]) -> bool:
    return any(topics.intersection(by_id[int(a.id)].tags or ()) for a in story.articles)


def store_variants(session: Session, edition_id: int, list_id: int,
                   rendered: Sequence[tuple[Variant, RenderedEdition | None]]) -> None:
    """Save each variant and point its readers' deliveries at it (in the caller's
    transaction, the one that queued them)."""
    for variant, copy in rendered:
        shown = variant.stories[:copy.articles_shown] if copy else []
        row = EditionVariant(
            edition_id=edition_id, topics_key=topics_key(variant.topics),
            story_ids=[story.story for story in shown if story.story > 0],
            subject=copy.subject if copy else None, html=copy.html if copy else None,
            text=copy.text if copy else None)
        session.add(row)
        session.flush()
        readers = select(Subscription.id).where(Subscription.list_id == list_id,
                                                Subscription.topics.in_(variant.stored_keys))
        mine = update(Delivery).where(Delivery.edition_id == edition_id,
                                      Delivery.status == DeliveryStatus.QUEUED,
                                      Delivery.subscription_id.in_(readers))
        mine = mine.execution_options(synchronize_session=False)
        if copy is None:
            session.execute(mine.values(status=DeliveryStatus.SKIPPED,
                                        last_reply=NOTHING_IN_TOPICS))
        else:
            session.execute(mine.values(variant_id=row.id))
