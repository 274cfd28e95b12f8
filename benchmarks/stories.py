"""Grouping articles into stories: B-cubed precision, recall and F1 on mixed "days".

Usage (from the repository root)::

    python -m benchmarks.stories [--eval-dir ../shared/eval] [--seeds 1,2,3] [--sweep]

A day is made of whole stories of ``stories/stories-dev.jsonl`` (every article of a story is in
the same day): the story ids are shuffled with a fixed seed and cut into days of 100 and of 300
stories, and each day's articles are shuffled too.  Stories are split into halves by a hash of
the story id: the grouping weights were chosen on ``tune`` (``--sweep`` reprints that grid)
and ``confirm`` shows them on data they were not chosen on; ``all`` mixes both.

Methods, side by side on the same days:

* ``singletons``: every article alone (precision 1);
* ``tfidf-avglink``: tf-idf cosine (title and text, stop words out, sublinear tf, smoothed idf)
  with average-linkage agglomerative clustering, at its best threshold for each row (swept
  over 0.05-0.50, which flatters it: it is told the answer);
* ``ours-batch``: :func:`briefing.stories.grouping.group_articles` (idf from the whole day);
* ``ours-incremental``: a :class:`StoryIndex` fed one article at a time in the day's order,
  from empty, learning its idf as it goes.

Time is per 1,000 articles on one core, grouping only (reading the file excluded).  The table
goes to stdout and to its section of ``benchmarks/results/stories.md``; the last line
is ``RESULT ...``.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import random
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage

from benchmarks.sections import write_section
from briefing.stories.articles import StoryArticle
from briefing.stories.grouping import DEFAULT_GROUPING, GroupingConfig, StoryIndex, group_articles
from briefing.stories.terms import language_rules
from briefing.text.tokenizer import split_words

REPO = Path(__file__).resolve().parents[1]
DEFAULT_EVAL_DIR = REPO / ".." / "shared" / "eval"
DAY_SIZES = (100, 300)
PARTS = ("tune", "confirm", "all")
BASELINE_THRESHOLDS = tuple(round(0.05 + 0.025 * i, 3) for i in range(19))


@dataclass(frozen=True)
class Day:
    articles: list[StoryArticle]
    labels: list[str]


def half_of(story: str) -> str:
    return "tune" if hashlib.sha256(story.encode()).digest()[0] % 2 == 0 else "confirm"


def load(eval_dir: Path) -> dict[str, list[tuple[StoryArticle, str]]]:
    """Articles by story id, in file order."""
    stories: dict[str, list[tuple[StoryArticle, str]]] = defaultdict(list)
    with (eval_dir / "stories" / "stories-dev.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            published = row.get("published")
            moment = datetime.fromisoformat(published).replace(tzinfo=UTC) if published else None
            article = StoryArticle(row["id"], row["title"], row["text"], source=row.get("source"),
                                   published=moment, url=row.get("url"))
            stories[row["story"]].append((article, row["story"]))
    return stories


def make_days(stories: dict[str, list[tuple[StoryArticle, str]]], part: str, size: int,
              seeds: Sequence[int]) -> list[Day]:
    ids = sorted(s for s in stories if part == "all" or half_of(s) == part)
    days = []
    for seed in seeds:
        shuffler = random.Random(seed)
        order = ids[:]
        shuffler.shuffle(order)
        for start in range(0, len(order) - size + 1, size):
            pairs = [p for story in order[start:start + size] for p in stories[story]]
            shuffler.shuffle(pairs)
            days.append(Day([a for a, _ in pairs], [label for _, label in pairs]))
    return days


def bcubed(labels: Sequence[object], predicted: Sequence[object]) -> tuple[float, float, float]:
    """B-cubed precision, recall and F1 (Bagga & Baldwin), averaged over items."""
    truth: dict[object, set[int]] = defaultdict(set)
    found: dict[object, set[int]] = defaultdict(set)
    for i, (label, guess) in enumerate(zip(labels, predicted, strict=True)):
        truth[label].add(i)
        found[guess].add(i)
    precision = recall = 0.0
    for label, guess in zip(labels, predicted, strict=True):
        both = len(truth[label] & found[guess])
        precision += both / len(found[guess])
        recall += both / len(truth[label])
    precision, recall = precision / len(labels), recall / len(labels)
    return precision, recall, 2 * precision * recall / (precision + recall)


# --------------------------------------------------------------------------- the baseline


def tfidf_matrix(articles: list[StoryArticle]) -> np.ndarray:
    rules = language_rules()
    vocabulary: dict[str, int] = {}
    rows = []
    for article in articles:
        counts: dict[int, int] = {}
        for word in split_words(f"{article.title}\n{article.text}"):
            lowered = word.lower()
            if lowered not in rules.stop_words:
                term = vocabulary.setdefault(rules.stem(lowered), len(vocabulary))
                counts[term] = counts.get(term, 0) + 1
        rows.append(counts)
    matrix = np.zeros((len(articles), len(vocabulary)))
    for i, counts in enumerate(rows):
        matrix[i, list(counts)] = 1.0 + np.log(list(counts.values()))
    frequency = (matrix > 0).sum(axis=0)
    matrix *= np.log((1 + len(articles)) / (1 + frequency)) + 1.0
    norms = np.linalg.norm(matrix, axis=1)
    return matrix / np.where(norms > 0, norms, 1.0)[:, None]


def tfidf_avglink(articles: list[StoryArticle]) -> dict[float, list[int]]:
    """Clusters at every threshold of BASELINE_THRESHOLDS (one dendrogram, several cuts)."""
    matrix = tfidf_matrix(articles)
    distance = np.clip(1.0 - matrix @ matrix.T, 0.0, None)
    tree = linkage(distance[np.triu_indices(len(articles), 1)], method="average")
    return {t: fcluster(tree, 1.0 - t, criterion="distance").tolist()
            for t in BASELINE_THRESHOLDS}


# --------------------------------------------------------------------------- ours


def incremental(articles: list[StoryArticle],
                config: GroupingConfig = DEFAULT_GROUPING) -> list[int]:
    index = StoryIndex(config)
    for article in articles:
        index.add(article)
    return [index.story_of(a.id) for a in articles]


Scores = tuple[float, float, float]


def score_method(days: list[Day], method: Callable[[list[StoryArticle]], list[int]]
                 ) -> tuple[Scores, float]:
    results, spent, count = [], 0.0, 0
    for day in days:
        start = time.process_time()
        predicted = method(day.articles)
        spent += time.process_time() - start
        count += len(day.articles)
        results.append(bcubed(day.labels, predicted))
    mean = np.mean(results, axis=0)
    return (float(mean[0]), float(mean[1]), float(mean[2])), 1000 * spent / count


def score_baseline(days: list[Day]) -> tuple[Scores, float, float]:
    """Scores at the best threshold, that threshold, seconds per 1,000 articles."""
    by_threshold: dict[float, list[Scores]] = defaultdict(list)
    spent, count = 0.0, 0
    for day in days:
        start = time.process_time()
        cuts = tfidf_avglink(day.articles)
        spent += time.process_time() - start
        count += len(day.articles)
        for threshold, predicted in cuts.items():
            by_threshold[threshold].append(bcubed(day.labels, predicted))
    best = max(by_threshold, key=lambda t: np.mean([s[2] for s in by_threshold[t]]))
    mean = np.mean(by_threshold[best], axis=0)
    return (float(mean[0]), float(mean[1]), float(mean[2])), best, 1000 * spent / count


# --------------------------------------------------------------------------- report


def run(stories: dict[str, list[tuple[StoryArticle, str]]], seeds: Sequence[int]) -> list[str]:
    lines = ["| part | day | days | articles/day | method | B³-P | B³-R | B³-F1 | s per 1k |",
             "|---|---:|---:|---:|---|---:|---:|---:|---:|"]
    result: dict[str, float] = {}
    for part, size in itertools.product(PARTS, DAY_SIZES):
        days = make_days(stories, part, size, seeds)
        per_day = np.mean([len(d.articles) for d in days])
        head = f"| {part} | {size} stories | {len(days)} | {per_day:.0f} |"
        singles, _ = score_method(days, lambda a: list(range(len(a))))
        base, threshold, base_time = score_baseline(days)
        batch, batch_time = score_method(days, group_articles)
        inc, inc_time = score_method(days, incremental)
        for name, scores, spent in (("singletons", singles, None),
                                    (f"tfidf-avglink (best t={threshold})", base, base_time),
                                    ("**ours-batch**", batch, batch_time),
                                    ("**ours-incremental**", inc, inc_time)):
            took = f"{spent:.2f}" if spent is not None else "-"
            lines.append(f"{head} {name} | {scores[0]:.3f} | {scores[1]:.3f} | "
                         f"{scores[2]:.3f} | {took} |")
        key = f"{part}{size}"
        result |= {f"{key}_baseline_f1": base[2], f"{key}_batch_f1": batch[2],
                   f"{key}_incremental_f1": inc[2]}
        if part == "all" and size == max(DAY_SIZES):
            result |= {"s_per_1k_batch": batch_time, "s_per_1k_incremental": inc_time,
                       "s_per_1k_baseline": base_time}
        print(lines[-1], flush=True)
    return [*lines, "", "RESULT " + " ".join(f"{k}={v:.3f}" for k, v in result.items())]


def sweep(stories: dict[str, list[tuple[StoryArticle, str]]], seeds: Sequence[int]) -> None:
    """The grid the weights were chosen from, on the tune half only (incremental path)."""
    days = {size: make_days(stories, "tune", size, seeds) for size in DAY_SIZES}
    print("| threshold | density weight | neighbours | F1 100 | F1 300 |")
    print("|---:|---:|---:|---:|---:|")
    for threshold, weight, k in itertools.product((-0.08, -0.06, -0.04, -0.02, 0.0),
                                                  (0.8, 1.0, 1.2), (3, 5, 8)):
        config = GroupingConfig(threshold=threshold, density_weight=weight,
                                density_neighbours=k)
        f1 = [score_method(days[s], lambda a, c=config: incremental(a, c))[0][2]
              for s in DAY_SIZES]
        print(f"| {threshold} | {weight} | {k} | {f1[0]:.3f} | {f1[1]:.3f} |", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated shuffling seeds")
    parser.add_argument("--sweep", action="store_true", help="print the tuning grid instead")
    parser.add_argument("--output", type=Path, default=REPO / "benchmarks/results/stories.md")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",") if s]
    stories = load(args.eval_dir)
    if args.sweep:
        sweep(stories, seeds[:2])
        return
    lines = run(stories, seeds)
    text = "\n".join(["## Grouping (python -m benchmarks.stories)", "", *lines])
    write_section(args.output, text)
    print(text)


if __name__ == "__main__":
    main()
