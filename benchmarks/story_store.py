"""Stories as editions make them: articles placed in the database a batch at a time.

Usage (from the repository root)::

    python -m benchmarks.story_store [--eval-dir ../shared/eval] [--days 3] [--per-day 1500]

Whole stories of ``stories-dev.jsonl`` are shuffled into ``--days`` days of about
``--per-day`` articles, stored as summarized articles in a fresh SQLite database, and placed
by :func:`briefing.editions.storyline.place_new_articles` once per day, as the first edition
of each day does: the week's earlier articles are restored into their stored stories and the
day's new ones are placed.  Printed per day: the CPU seconds of that call, per 1,000 new
articles, and B-cubed F1 of every stored placement so far against the labels, side by side
with the in-memory batch grouping of the same articles (``group_articles``) in the same run.
The last line is ``RESULT …``.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from benchmarks.sections import write_section
from benchmarks.stories import DEFAULT_EVAL_DIR, bcubed, load
from briefing.core.db import Database, upgrade
from briefing.core.models import Article, ArticleStatus
from briefing.editions.storyline import place_new_articles
from briefing.stories.articles import StoryArticle
from briefing.stories.grouping import group_articles

START = datetime(2026, 5, 4, 6, 0, tzinfo=UTC)


def days_of(eval_dir: Path, days: int, per_day: int, seed: int = 7
            ) -> list[list[tuple[StoryArticle, str]]]:
    stories = load(eval_dir)
    order = sorted(stories)
    random.Random(seed).shuffle(order)
    result: list[list[tuple[StoryArticle, str]]] = [[] for _ in range(days)]
    day = 0
    for story in order:
        if len(result[day]) >= per_day:
            day += 1
            if day == days:
                break
        result[day].extend(stories[story])
    return result


def store(db: Database, pairs: list[tuple[StoryArticle, str]], when: datetime, first: int
          ) -> None:
    rows: list[dict[str, object]] = [
        {"id": first + n, "title": a.title[:500], "text": a.text, "source": a.source,
         "url": None, "published_at": when, "content_hash": f"{first + n:064d}",
         "status": ArticleStatus.SUMMARIZED, "summary": [], "summarized_at": when,
         "language": "en", "attempts": 0, "tags": [], "created_at": when, "updated_at": when}
        for n, (a, _) in enumerate(pairs)]
    with db.session() as session:
        session.execute(insert(Article), rows)


def run(eval_dir: Path, days: int, per_day: int) -> list[str]:
    lines = ["| day | new articles | stored so far | CPU s | s per 1k new | stored B³-F1 | "
             "batch B³-F1 |", "|---:|---:|---:|---:|---:|---:|---:|"]
    seen: list[tuple[StoryArticle, str]] = []
    per_1k: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/stories.db")
        upgrade(db)
        for day, pairs in enumerate(days_of(eval_dir, days, per_day)):
            when = START + timedelta(days=day)
            store(db, pairs, when, len(seen) + 1)
            seen.extend(pairs)
            started = time.process_time()
            with db.session() as session:
                placed = place_new_articles(session, when + timedelta(hours=1))
            spent = time.process_time() - started
            per_1k.append(1000 * spent / max(placed, 1))
            stored = _stored(db)
            labels = [label for _, label in seen]
            f1 = bcubed(labels, [stored[n + 1] for n in range(len(seen))])[2]
            batch = bcubed(labels, group_articles([a for a, _ in seen]))[2]
            lines.append(f"| {day + 1} | {placed} | {len(seen)} | {spent:.2f} | "
                         f"{per_1k[-1]:.2f} | {f1:.3f} | {batch:.3f} |")
            print(lines[-1], flush=True)
        db.dispose()
    return [*lines, "", f"RESULT days={days} articles={len(seen)} stored_f1={f1:.3f} "
                        f"batch_f1={batch:.3f} s_per_1k_new={max(per_1k):.2f}"]


def _stored(db: Database) -> dict[int, int | None]:
    with db.session() as session:
        return {row[0]: row[1] for row in session.execute(select(Article.id, Article.story_id))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--per-day", type=int, default=1500)
    parser.add_argument("--output", type=Path,
                        default=Path(__file__).parent / "results" / "stories.md")
    args = parser.parse_args(argv)
    lines = run(args.eval_dir, args.days, args.per_day)
    write_section(args.output, "\n".join(
        ["## Stored stories (python -m benchmarks.story_store)", "", *lines]))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
