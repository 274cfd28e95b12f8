"""Summary quality (ROUGE) of every algorithm in briefing.summarize, as a Markdown table.

Usage (from the repository root)::

    python -m benchmarks.quality [--eval-dir ../shared/eval]
                                 [--split all|tune|confirm|tune-a|tune-b]
                                 [--limit N] [--methods default,lead3] [--jobs 2]

For every ``*.jsonl`` evaluation set (rows: ``id``, ``text``, ``reference`` with one sentence
per line, optional ``title``) it summarizes each article in 3 sentences with Lead-3, every stock
Sumy summarizer and the project's default, and scores the summary against the reference with
Google's ``rouge_score`` (stemming on; ROUGE-Lsum over newline-joined sentences).  Numbers are
mean F1 x 100.  Articles per second covers summarizing only, not scoring.

``--split`` picks a deterministic half of every set by hashing the article id: settings are
chosen on ``tune`` and confirmed on ``confirm``; ``tune-a`` and ``tune-b`` are the two quarters
of ``tune`` (another byte of the same hash), for checking that a change helps on both.  The table
goes to stdout and to ``benchmarks/results/quality.md`` (``quality-<split>.md`` for a part).
The last line is ``RESULT <set>_<method>_<r1|r2|rl>=<score> ...`` for default and lead3 on each set.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rouge_score import rouge_scorer

from briefing.summarize.summarizer import ALGORITHMS, SummaryError, summarize_text

REPO = Path(__file__).resolve().parents[1]
DEFAULT_EVAL_DIR = REPO / ".." / "shared" / "eval"
SENTENCES = 3
# Method name in the table -> algorithm in briefing.summarize.
METHODS: dict[str, str] = {"lead3": "lead", "default": "default"} | {
    a: a for a in ALGORITHMS if a not in ("lead", "default")
}
ROUGE_TYPES = ("rouge1", "rouge2", "rougeLsum")
SHORT = {"rouge1": "r1", "rouge2": "r2", "rougeLsum": "rl"}


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    reference: str
    title: str | None


SPLITS = ("all", "tune", "confirm", "tune-a", "tune-b")


def split_of(article_id: str) -> str:
    """Deterministic half of the data an article belongs to."""
    return "tune" if hashlib.sha256(article_id.encode()).digest()[0] % 2 == 0 else "confirm"


def quarter_of(article_id: str) -> str:
    """Deterministic quarter: the half plus "-a" or "-b", from another byte of the same hash.

    Tuning decisions are kept only when they help on both quarters of the tune half.
    """
    digest = hashlib.sha256(article_id.encode()).digest()
    return f"{split_of(article_id)}-{'a' if digest[1] % 2 == 0 else 'b'}"


def in_split(article_id: str, split: str) -> bool:
    if split == "all":
        return True
    return (split_of if split in ("tune", "confirm") else quarter_of)(article_id) == split


def load_sets(eval_dir: Path, split: str, limit: int | None) -> dict[str, list[Row]]:
    sets: dict[str, list[Row]] = {}
    for path in sorted(eval_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            rows = [json.loads(line) for line in lines if line.strip()]
        chosen = [
            Row(r["id"], r["text"], r["reference"], r.get("title"))
            for r in rows
            if in_split(r["id"], split)
        ]
        sets[path.stem.removesuffix("-dev")] = chosen[:limit] if limit else chosen
    if not sets:
        raise SystemExit(f"no *.jsonl files in {eval_dir}")
    return sets


def evaluate(job: tuple[str, list[Row]]) -> tuple[dict[str, float], float, int]:
    """Mean ROUGE F1 x 100, articles per second and failures for one method on one set."""
    method, rows = job
    scorer = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
    totals = dict.fromkeys(ROUGE_TYPES, 0.0)
    spent, failures = 0.0, 0
    for row in rows:
        start = time.perf_counter()
        try:
            summary = summarize_text(
                row.text, algorithm=METHODS[method], sentences=SENTENCES, title=row.title
            ).sentences
        except SummaryError:
            summary, failures = (), failures + 1  # scores 0, like an empty summary
        spent += time.perf_counter() - start
        reference = "\n".join(s.strip() for s in row.reference.split("\n") if s.strip())
        scores = scorer.score(reference, "\n".join(summary))
        for kind in ROUGE_TYPES:
            totals[kind] += scores[kind].fmeasure
    count = max(len(rows), 1)
    return {k: 100 * v / count for k, v in totals.items()}, len(rows) / max(spent, 1e-9), failures


def render(
    sets: dict[str, list[Row]],
    results: dict[tuple[str, str], tuple[dict[str, float], float, int]],
    methods: list[str],
    split: str,
) -> list[str]:
    names = list(sets)
    sizes = ", ".join(f"{n} {len(rows)} articles" for n, rows in sets.items())
    lines = [
        f"## ROUGE F1 x 100 at {SENTENCES} sentences (split: {split}; {sizes})",
        "",
        "| method | "
        + " | ".join(f"{n} R1 | {n} R2 | {n} RLsum | {n} art/s" for n in names)
        + " |",
        "|---|" + "---:|" * (4 * len(names)),
    ]
    for method in methods:
        cells = []
        for name in names:
            scores, speed, failures = results[(method, name)]
            cells += [f"{scores[k]:.1f}" for k in ROUGE_TYPES]
            cells.append(f"{speed:,.0f}" + (f" ({failures} refused)" if failures else ""))
        label = method if method in ("default", "lead3") else f"sumy {method}"
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def result_line(
    sets: dict[str, list[Row]], results: dict[tuple[str, str], tuple[dict[str, float], float, int]]
) -> str:
    pairs = [
        f"{name}_{method}_{SHORT[kind]}={results[(method, name)][0][kind]:.1f}"
        for name in sets
        for method in ("default", "lead3")
        if (method, name) in results
        for kind in ROUGE_TYPES
    ]
    return "RESULT " + " ".join(pairs)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--split", choices=SPLITS, default="all")
    parser.add_argument("--limit", type=int, default=None, help="articles per set")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)

    methods = [m for m in args.methods.split(",") if m]
    unknown = set(methods) - set(METHODS)
    if unknown:
        parser.error(f"unknown methods {sorted(unknown)}; choose from {list(METHODS)}")
    sets = load_sets(args.eval_dir, args.split, args.limit)
    jobs = [(m, n) for m in methods for n in sets]
    # Speed is measured per process; with --jobs 2 on two cores each job still has one core.
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        outcomes = pool.map(evaluate, [(m, sets[n]) for m, n in jobs])
        results = dict(zip(jobs, outcomes, strict=True))

    lines = render(sets, results, methods, args.split)
    lines += ["", result_line(sets, results)]
    text = "\n".join(lines)
    suffix = "" if args.split == "all" else f"-{args.split}"
    output = args.output or REPO / f"benchmarks/results/quality{suffix}.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
