"""Dangling openings: how often a summary's sentence leans on a sentence the summary left out.

Usage (from the repository root)::

    python -m benchmarks.dangling [--eval-dir ../shared/eval] [--split all|tune|confirm]

On the CNN/DailyMail and BBC dev sets, at 3 sentences, for Lead-3, the default summarizer as it
was before (``dangling="off"``) and as it is now (and the other two policies the default chose
between: always skip, always pair), side by side in one run:

* **first opens dangling**: share of summaries whose first sentence opens with a pronoun or
  connective that needs the sentence before (:func:`~briefing.summarize.openings.opens_dangling`):
  the
  figure the published studies report;
* **any unresolved**: share of summaries with some sentence that opens that way while the
  sentence before it is not in the summary (a reader meets "He" without knowing who);
* ROUGE-1/2/Lsum F1 x 100 against the reference (rouge-score, stemming), to show the cost.

Output goes to stdout and ``benchmarks/results/dangling.md``; the last line is
``RESULT <set>_<method>_first=… <set>_<method>_unresolved=… <set>_<method>_r1=…``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

from rouge_score import rouge_scorer

from benchmarks.quality import in_split
from briefing.ingest.boilerplate import strip_dateline
from briefing.summarize import newsrank
from briefing.summarize.linguistics import language_kit
from briefing.summarize.openings import opens_dangling
from briefing.summarize.summarizer import _features, _parse

REPO = Path(__file__).resolve().parents[1]
DEFAULT_EVAL_DIR = REPO / ".." / "shared" / "eval"
SENTENCES = 3
POLICIES = {"default (old: off)": "off", "default: skip": "skip", "default: pair": "pair",
            "default (now: auto)": "auto"}
SHORT = {"lead3": "lead3", "default (old: off)": "old", "default: skip": "skip",
         "default: pair": "pair", "default (now: auto)": "default"}
KINDS = ("rouge1", "rouge2", "rougeLsum")


def _picks(sentences: list[str], features: newsrank.Features, method: str) -> list[int]:
    if len(sentences) <= SENTENCES or method == "lead3":
        return list(range(min(SENTENCES, len(sentences))))
    config = dataclasses.replace(newsrank.DEFAULT_CONFIG, dangling=POLICIES[method])
    return newsrank.rank(features, SENTENCES, config)


def _unresolved(texts: list[str], picks: list[int]) -> bool:
    chosen = set(picks)
    return any(i > 0 and i - 1 not in chosen and opens_dangling(texts[i], "en") for i in picks)


def evaluate(rows: list[dict[str, str]]) -> dict[str, list[float]]:
    scorer = rouge_scorer.RougeScorer(list(KINDS), use_stemmer=True)
    kit = language_kit("en")  # both sets are English news
    totals: dict[str, list[float]] = {m: [0.0] * 5 for m in ["lead3", *POLICIES]}
    for row in rows:
        sentences = _parse(row["text"].strip(), row.get("title"), kit.tokenizer).sentences
        texts = [strip_dateline(str(s)) for s in sentences]
        features = _features(sentences, kit)
        reference = "\n".join(s.strip() for s in row["reference"].split("\n") if s.strip())
        for method, total in totals.items():
            picks = _picks(texts, features, method)
            shown = [str(sentences[i]) if method == "lead3" else texts[i] for i in picks]
            scores = scorer.score(reference, "\n".join(shown))
            total[0] += bool(shown) and opens_dangling(shown[0], "en")
            total[1] += _unresolved(texts, picks)
            for k, kind in enumerate(KINDS, start=2):
                total[k] += scores[kind].fmeasure
    return {m: [100 * v / max(len(rows), 1) for v in t] for m, t in totals.items()}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--split", choices=("all", "tune", "confirm"), default="all")
    parser.add_argument("--output", type=Path, default=REPO / "benchmarks/results/dangling.md")
    args = parser.parse_args(argv)
    lines = [f"## Dangling openings at {SENTENCES} sentences (split: {args.split})", "",
             "| set | method | first opens dangling | any unresolved | R1 | R2 | RLsum |",
             "|---|---|---:|---:|---:|---:|---:|"]
    result: list[str] = []
    for name in ("cnndm", "bbc"):
        with (args.eval_dir / f"{name}-dev.jsonl").open(encoding="utf-8") as lines_in:
            rows = [json.loads(line) for line in lines_in if line.strip()]
        rows = [r for r in rows if in_split(r["id"], args.split)]
        for method, (first, unresolved, r1, r2, rl) in evaluate(rows).items():
            lines.append(f"| {name} ({len(rows)}) | {method} | {first:.1f} % | "
                         f"{unresolved:.1f} % | {r1:.2f} | {r2:.2f} | {rl:.2f} |")
            key = f"{name}_{SHORT[method]}"
            result += [f"{key}_first={first:.1f}", f"{key}_unresolved={unresolved:.1f}",
                       f"{key}_r1={r1:.2f}"]
    text = "\n".join([*lines, "", "RESULT " + " ".join(result)])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
