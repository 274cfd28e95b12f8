"""Speed of every summarization algorithm in briefing.summarize, as a Markdown table.

Usage (from the repository root)::

    python -m benchmarks.summarize [--eval-dir ../shared/eval] [--limit 100] [--budget 10]

Part 1 times ``summarize_text(..., sentences=3)`` on the evaluation articles (articles per
second, parsing included) for the project's default, Lead and every stock Sumy summarizer (stock
settings, with the offline tokenizer).  Each algorithm gets at most ``--limit`` articles per set
and stops early once it has used ``--budget`` seconds, so slow algorithms are measured on fewer
articles; the table says how many.

Part 2 times one call on synthetic long articles of 25, 100, 400 and 1,600 sentences, made by
concatenating evaluation articles.  A size is skipped when the algorithm refuses it (sentence
bound) or when the time at the previous size, extrapolated with the algorithm's complexity,
exceeds ``--long-budget`` seconds.

The last line is ``RESULT default_articles_per_s=<n> default_1600_sentences_s=<seconds>``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from briefing.summarize.summarizer import ALGORITHMS, SummaryError, split_sentences, summarize_text

REPO = Path(__file__).resolve().parents[1]
DEFAULT_EVAL_DIR = REPO / ".." / "shared" / "eval"
SIZES = (25, 100, 400, 1600)
# Growth of run time when the article gets 4 times longer (used to skip hopeless sizes).
GROWTH = {"kl": 64.0, "lexrank": 16.0, "reduction": 16.0, "textrank": 16.0, "lsa": 16.0}


@dataclass
class Article:
    id: str
    text: str
    title: str | None


def load_sets(eval_dir: Path) -> dict[str, list[Article]]:
    sets: dict[str, list[Article]] = {}
    for path in sorted(eval_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            rows = [json.loads(line) for line in lines if line.strip()]
        name = path.stem.removesuffix("-dev")
        sets[name] = [Article(r["id"], r["text"], r.get("title")) for r in rows]
    if not sets:
        raise SystemExit(f"no *.jsonl files in {eval_dir}")
    return sets


def throughput(articles: list[Article], algorithm: str, budget: float) -> tuple[int, float]:
    """Summarize articles until done or out of budget; return (count, seconds)."""
    done, spent = 0, 0.0
    for article in articles:
        start = time.perf_counter()
        # An article beyond KL's sentence bound is refused quickly; it still counts as handled.
        with contextlib.suppress(SummaryError):
            summarize_text(article.text, algorithm=algorithm, sentences=3, title=article.title)
        spent += time.perf_counter() - start
        done += 1
        if spent >= budget:
            break
    return done, spent


def synthetic_article(sets: dict[str, list[Article]], sentences: int) -> str:
    """An article of *sentences* sentences (as split_sentences counts them), paragraphs of five.

    Joining sentences from different articles occasionally merges two (a sentence without a
    final stop), so sentences are added until the count is right.
    """
    source = _all_sentences(sets)
    pool: list[str] = []
    text = ""
    while True:
        pool.extend(next(source) for _ in range(sentences - len(split_sentences(text))))
        paragraphs = [" ".join(pool[i : i + 5]) for i in range(0, len(pool), 5)]
        text = "\n\n".join(paragraphs)
        if len(split_sentences(text)) >= sentences:
            return text


def _all_sentences(sets: dict[str, list[Article]]) -> Iterator[str]:
    while True:  # cycle if the sets are small
        for articles in sets.values():
            for article in articles:
                yield from split_sentences(article.text)


def time_long(text: str, algorithm: str) -> float | str:
    start = time.perf_counter()
    try:
        summarize_text(text, algorithm=algorithm, sentences=3)
    except SummaryError as error:
        return f"refused ({error})".split(";")[0].replace("text is too long for ", "")
    return time.perf_counter() - start


def long_article_times(
    sets: dict[str, list[Article]], algorithms: tuple[str, ...], long_budget: float
) -> dict[str, dict[int, float | str]]:
    texts = {n: synthetic_article(sets, n) for n in SIZES}
    for n, text in texts.items():
        assert len(split_sentences(text)) == n, (n, len(split_sentences(text)))  # no overshoot
    results: dict[str, dict[int, float | str]] = {}
    for algorithm in algorithms:
        row: dict[int, float | str] = {}
        previous: float | None = None
        for n in SIZES:
            expected = None if previous is None else previous * GROWTH.get(algorithm, 4.0)
            if expected == float("inf"):
                row[n] = "refused (smaller size refused)"
                continue
            if expected is not None and expected > long_budget:
                row[n] = f"skipped (~{expected:,.0f} s expected)"
                previous = expected
                continue
            value = time_long(texts[n], algorithm)
            row[n] = value
            previous = value if isinstance(value, float) else float("inf")
        results[algorithm] = row
    return results


def _cell(value: float | str) -> str:
    return f"{value:.3f}" if isinstance(value, float) else value


def render(
    sets: dict[str, list[Article]],
    speed: dict[str, dict[str, tuple[int, float]]],
    long_times: dict[str, dict[int, float | str]],
    limit: int,
    budget: float,
) -> list[str]:
    names = list(sets)
    lines = [
        "## Summaries per second (3 sentences, parsing included, one core)",
        "",
        f"At most {limit} articles per set; an algorithm stops after {budget:g} s per set, so",
        "slow ones are measured on fewer articles (count in brackets).",
        "",
        "| algorithm | " + " | ".join(f"{n} articles/s" for n in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for algorithm, per_set in speed.items():
        label = algorithm if algorithm in ("default", "lead") else f"sumy {algorithm}"
        cells = [f"{c / s:,.0f} ({c})" if s > 0 else "n/a" for c, s in per_set.values()]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Seconds for one long article (synthetic, concatenated evaluation articles)",
        "",
        "| algorithm | " + " | ".join(f"{n} sentences" for n in SIZES) + " |",
        "|---|" + "---:|" * len(SIZES),
    ]
    for algorithm, row in long_times.items():
        lines.append(f"| {algorithm} | " + " | ".join(_cell(row[n]) for n in SIZES) + " |")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--limit", type=int, default=100, help="articles per set (default 100)")
    parser.add_argument("--budget", type=float, default=10.0, help="seconds per algorithm/set")
    parser.add_argument("--long-budget", type=float, default=30.0, help="max s per long call")
    parser.add_argument("--output", type=Path, default=REPO / "benchmarks/results/summarize.md")
    args = parser.parse_args(argv)

    sets = {name: rows[: args.limit] for name, rows in load_sets(args.eval_dir).items()}
    speed: dict[str, dict[str, tuple[int, float]]] = {}
    for algorithm in ALGORITHMS:
        speed[algorithm] = {n: throughput(a, algorithm, args.budget) for n, a in sets.items()}
    long_times = long_article_times(sets, ALGORITHMS, args.long_budget)

    lines = render(sets, speed, long_times, args.limit, args.budget)
    done = sum(c for c, _ in speed["default"].values())
    spent = sum(s for _, s in speed["default"].values())
    default_1600 = long_times["default"][1600]
    seconds = f"{default_1600:.3f}" if isinstance(default_1600, float) else "nan"
    lines += [
        "",
        f"RESULT default_articles_per_s={done / spent:.0f} default_1600_sentences_s={seconds}",
    ]
    text = "\n".join(lines)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
