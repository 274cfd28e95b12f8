"""Story summaries against AllSides' neutral story summaries (ROUGE F1 x 100).

Usage (from the repository root)::

    python -m benchmarks.story_summaries [--eval-dir ../shared/eval]

Every AllSides story of ``stories/stories-dev.jsonl`` (three outlets of different leanings,
title and opening paragraphs each) is summarized from its articles and scored against the
story's ``story_summary`` with Google's ``rouge_score`` (stemming on; ROUGE-Lsum over
newline-joined sentences; the reference is cut into sentences with the project's splitter).
Stories are split into halves by a hash of the story id: the weights of
:mod:`briefing.stories.summary` were chosen on ``tune``; ``confirm`` was not looked at for that.

Methods, side by side on the same stories:

* ``lead3-first``: the first three sentences of the story's first article (one outlet);
* ``centroid-2``: the two sentences (of any article) closest to the story's tf-idf centroid,
  each score divided by ``1 + 0.5 * position``;
* ``ours``: :func:`briefing.stories.summary.summarize_story` at most 3 sentences, fewer when
  its word budget is reached first (and at most 2, the centroid's length).

``ours - centroid`` gives the paired difference in R1 with a 95% bootstrap interval (2,000
resamples of stories).  The table goes to stdout and to its section of
``benchmarks/results/stories.md``; the last line is ``RESULT ...``.

``--sweep [--sentences N]`` scores the variants of ``DEFAULT_SUMMARY`` listed in ``SWEEP`` (one
knob moved at a time) on the tune half only, into its own section of the results file.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from rouge_score import rouge_scorer

from benchmarks.sections import write_section
from briefing.stories.articles import StoryArticle
from briefing.stories.summary import DEFAULT_SUMMARY, SummaryConfig, summarize_story
from briefing.stories.terms import language_rules
from briefing.summarize.summarizer import SummaryError, split_sentences
from briefing.text.tokenizer import split_paragraph, split_words

REPO = Path(__file__).resolve().parents[1]
DEFAULT_EVAL_DIR = REPO / ".." / "shared" / "eval"
ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
PARTS = ("tune", "confirm", "all")


@dataclass(frozen=True)
class Story:
    id: str
    articles: list[StoryArticle]
    reference: str


def half_of(story: str) -> str:
    return "tune" if hashlib.sha256(story.encode()).digest()[0] % 2 == 0 else "confirm"


def load(eval_dir: Path) -> list[Story]:
    articles: dict[str, list[StoryArticle]] = defaultdict(list)
    references: dict[str, str] = {}
    with (eval_dir / "stories" / "stories-dev.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            if "story_summary" not in row:
                continue
            articles[row["story"]].append(StoryArticle(row["id"], row["title"], row["text"]))
            references[row["story"]] = "\n".join(split_paragraph(row["story_summary"]))
    return [Story(s, articles[s], references[s]) for s in articles]


def sentences_of(text: str) -> list[str]:
    try:
        return split_sentences(text)
    except SummaryError:
        return []


def lead3_first(story: Story) -> list[str]:
    return sentences_of(story.articles[0].text)[:3]


def centroid_2(story: Story) -> list[str]:
    """The baseline: two sentences nearest the story's tf-idf centroid, lead discounted."""
    rules = language_rules()
    candidates = [(position, sentence) for article in story.articles
                  for position, sentence in enumerate(sentences_of(article.text))]
    bags = [[rules.stem(w.lower()) for w in split_words(s) if w.lower() not in rules.stop_words]
            for _, s in candidates]
    frequency: dict[str, int] = defaultdict(int)
    for bag in bags:
        for term in set(bag):
            frequency[term] += 1
    vectors = []
    for bag in bags:
        vector: dict[str, float] = defaultdict(float)
        for term in bag:
            vector[term] += math.log((len(bags) + 1) / (frequency[term] + 0.5))
        vectors.append(vector)
    centroid: dict[str, float] = defaultdict(float)
    for vector in vectors:
        for term, weight in vector.items():
            centroid[term] += weight
    scores = [_cosine(v, centroid) / (1 + 0.5 * position)
              for v, (position, _) in zip(vectors, candidates, strict=True)]
    best = sorted(range(len(candidates)), key=lambda i: -scores[i])[:2]
    return [candidates[i][1] for i in best]


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    norm = math.sqrt(sum(x * x for x in a.values())) * math.sqrt(sum(x * x for x in b.values()))
    return sum(w * b.get(t, 0.0) for t, w in a.items()) / norm if norm else 0.0


def ours(count: int) -> Callable[[Story], list[str]]:
    return lambda story: list(summarize_story(story.articles, count).sentences)


METHODS: dict[str, Callable[[Story], list[str]]] = {
    "lead3-first": lead3_first, "centroid-2": centroid_2, "ours (at most 3)": ours(3),
    "ours (at most 2)": ours(2)}


def score_all(stories: list[Story]) -> dict[str, np.ndarray]:
    """Per method, an array (stories x 3) of ROUGE F1 x 100."""
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    table: dict[str, np.ndarray] = {}
    for name, method in METHODS.items():
        rows = []
        for story in stories:
            scores = scorer.score(story.reference, "\n".join(method(story)))
            rows.append([100 * scores[k].fmeasure for k in ROUGE_TYPES])
        table[name] = np.array(rows)
    return table


def bootstrap(difference: np.ndarray, seed: int = 11, rounds: int = 2000) -> tuple[float, float]:
    generator = random.Random(seed)
    n = len(difference)
    means = sorted(float(np.mean([difference[generator.randrange(n)] for _ in range(n)]))
                   for _ in range(rounds))
    return means[int(0.025 * rounds)], means[int(0.975 * rounds)]


def run(stories: list[Story]) -> list[str]:
    scores = score_all(stories)
    parts = {"all": np.ones(len(stories), bool)} | {
        p: np.array([half_of(s.id) == p for s in stories]) for p in ("tune", "confirm")}
    lines = ["| part | stories | method | R1 | R2 | RLsum |", "|---|---:|---|---:|---:|---:|"]
    result: dict[str, float] = {}
    for part in PARTS:
        mask = parts[part]
        for name, table in scores.items():
            r1, r2, rl = table[mask].mean(axis=0)
            lines.append(f"| {part} | {mask.sum()} | {name} | {r1:.1f} | {r2:.1f} | {rl:.1f} |")
        difference = scores["ours (at most 3)"][mask, 0] - scores["centroid-2"][mask, 0]
        low, high = bootstrap(difference)
        lines.append(f"| {part} | {mask.sum()} | ours - centroid-2, R1 | "
                     f"{difference.mean():+.2f} ({low:+.2f}..{high:+.2f}) | | |")
        for key, name in (("ours", "ours (at most 3)"), ("centroid", "centroid-2"),
                          ("lead3", "lead3-first")):
            r1, r2, rl = scores[name][mask].mean(axis=0)
            result |= {f"{part}_{key}_r1": r1, f"{part}_{key}_r2": r2, f"{part}_{key}_rl": rl}
    return [*lines, "", "RESULT " + " ".join(f"{k}={v:.1f}" for k, v in result.items())]


# The tune-half grid behind DEFAULT_SUMMARY, one knob at a time around the chosen point.
SWEEP: list[tuple[str, dict[str, float]]] = [
    ("default", {}),
    *((f"budget_ratio={v}", {"budget_ratio": v}) for v in (0.0, 1.2, 1.4, 1.7)),
    *((f"word_budget={v}", {"word_budget": v}) for v in (0, 60, 100)),
    *((f"idf_floor={v}", {"idf_floor": v}) for v in (0.0, 1.0)),
    *((f"shared_weight={v}", {"shared_weight": v}) for v in (0.0, 0.5)),
    *((f"dangling_penalty={v}", {"dangling_penalty": v}) for v in (0.5,)),
    *((f"redundancy={v}", {"redundancy": v}) for v in (0.4, 0.8)),
    *((f"headline_weight={v}", {"headline_weight": v}) for v in (0.3, 0.8)),
    *((f"position_discount={v}", {"position_discount": v}) for v in (0.15, 0.5)),
]


SWEEP_HEADING = "Story summary weights, tune half (python -m benchmarks.story_summaries --sweep)"


def sweep(stories: list[Story], count: int) -> list[str]:
    """R1/R2/RLsum on the tune half only, for each variant of DEFAULT_SUMMARY in SWEEP."""
    tune = [s for s in stories if half_of(s.id) == "tune"]
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    lines = [f"| variant (tune, {len(tune)} stories, at most {count}) | R1 | R2 | RLsum |",
             "|---|---:|---:|---:|"]
    for label, changes in SWEEP:
        config = replace(DEFAULT_SUMMARY, **changes)
        rows = [[100 * v.fmeasure for v in (lambda r: [r[k] for k in ROUGE_TYPES])(
            scorer.score(s.reference, "\n".join(_summary(s, count, config))))] for s in tune]
        r1, r2, rl = np.array(rows).mean(axis=0)
        lines.append(f"| {label} | {r1:.2f} | {r2:.2f} | {rl:.2f} |")
        print(lines[-1], flush=True)
    return lines


def _summary(story: Story, count: int, config: SummaryConfig) -> list[str]:
    return list(summarize_story(story.articles, count, config).sentences)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--output", type=Path,
                        default=REPO / "benchmarks/results/stories.md")
    parser.add_argument("--sweep", action="store_true",
                        help="only the tune-half grid of SWEEP, into its own section")
    parser.add_argument("--sentences", type=int, default=3, help="at most, for --sweep")
    args = parser.parse_args(argv)
    if args.sweep:
        lines = sweep(load(args.eval_dir), args.sentences)
        write_section(args.output, "\n".join([f"## {SWEEP_HEADING}", "", *lines]))
        return
    lines = run(load(args.eval_dir))
    text = "\n".join(["## Story summaries (python -m benchmarks.story_summaries)", "", *lines])
    write_section(args.output, text)
    print(text)


if __name__ == "__main__":
    main()
