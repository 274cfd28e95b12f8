"""Reading bounces, complaints and provider webhooks, scored against sisimai and anymail.

Usage (from the repository root)::

    python -m benchmarks.bounces [--eval-dir ../shared/eval/mail] [--split all|tune|confirm]
                                 [--speed 10000]

``bounces-dev.jsonl`` holds real bounce and complaint messages with sisimai's reading of each
bounced recipient, in message order. Each message goes through ``briefing bounces parse``'s
own function; its i-th line is compared with the i-th expected recipient. The expected kind
follows sisimai: ``hardbounce`` true -> hard, a ``feedbacktype`` -> complaint, reason
``vacation`` -> auto_reply, ``delivered`` -> none, anything else -> soft. Status agreement
counts only recipients with an expected status. The baseline is flufl.bounce alone (Mailman's
detectors): the share of expected recipients it finds at all, since it reports neither kinds
nor codes.

``webhooks-dev.jsonl`` holds provider payloads from django-anymail's tests with anymail's
normalized event. Payloads of the providers briefing reads go through ``briefing bounces
webhook``'s function; SES events are wrapped in the SNS envelope SES posts. anymail's event
types map to ours: bounced and rejected -> bounce, complained -> complaint, unsubscribed ->
unsubscribe, deferred -> deferral; every other type (and a payload with no event) -> ignore,
which a payload with no lines also satisfies.

``--split`` takes a deterministic half of the bounce messages by hashing the id: the rules
were written looking at ``tune`` only and are scored on ``confirm`` too, so the two figures
show how well they carry over to mail not looked at. The table goes to stdout and to
``benchmarks/results/bounces.md`` (``bounces-<split>.md`` for a half); the last line is
``RESULT key=value …``.
"""

from __future__ import annotations

import argparse
import base64
import email
import hashlib
import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email import policy
from pathlib import Path
from typing import Any

from flufl.bounce import all_failures

from briefing.cli.bounces import report_lines, webhook_lines
from briefing.feedback.webhooks import PROVIDERS

REPO = Path(__file__).resolve().parents[1]
# Beside the repository; a git worktree one level further down finds it one level up.
DEFAULT_EVAL_DIR = next((d for d in (REPO / ".." / "shared" / "eval" / "mail",
                                     REPO / ".." / ".." / "shared" / "eval" / "mail")
                         if d.is_dir()), REPO / ".." / "shared" / "eval" / "mail")
GOALS = {"kind": 0.95, "status": 0.90, "webhook": 0.95}


def split_of(item_id: str) -> str:
    return "tune" if hashlib.sha256(item_id.encode()).digest()[0] % 2 == 0 else "confirm"


def expected_kind(entry: dict[str, Any]) -> str:
    if entry.get("hardbounce"):
        return "hard"
    if entry.get("feedbacktype"):
        return "complaint"
    return {"vacation": "auto_reply", "delivered": "none"}.get(entry.get("reason", ""), "soft")


def source_of(item_id: str) -> str:
    """The MTA or provider a message comes from: "lhost-postfix-13.eml" -> "postfix"."""
    name = re.sub(r"-\d+\.eml$", "", item_id)
    return name.split("-", 1)[1] if "-" in name else name


@dataclass
class Score:
    recipients: int = 0
    kind_hits: int = 0
    with_status: int = 0
    status_hits: int = 0
    flufl_found: int = 0
    extra_lines: int = 0
    messages: int = 0
    misses: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def share(self, hits: int, total: int) -> float:
        return hits / total if total else 0.0


def score_bounces(rows: list[dict[str, Any]]) -> Score:
    score = Score()
    for row in rows:
        raw = base64.b64decode(row["raw_b64"])
        lines = report_lines(row["id"], raw)
        expected = row["expected"]
        score.messages += 1
        score.extra_lines += max(0, len(lines) - len(expected))
        score.flufl_found += min(len(expected), _flufl_count(raw))
        for index, entry in enumerate(expected):
            _score_one(score, row["id"], entry, lines[index] if index < len(lines) else None)
    return score


def _score_one(score: Score, item_id: str, entry: dict[str, Any], line: dict | None) -> None:
    score.recipients += 1
    want, got = expected_kind(entry), (line or {}).get("kind", "missing")
    if want == got:
        score.kind_hits += 1
    else:
        score.misses[source_of(item_id)].append(
            f"{item_id}: kind {got} ({(line or {}).get('reason')}), expected {want} "
            f"({entry.get('reason')})")
    if entry.get("status"):
        score.with_status += 1
        if (line or {}).get("status") == entry["status"]:
            score.status_hits += 1
        else:
            score.misses[source_of(item_id)].append(
                f"{item_id}: status {(line or {}).get('status')}, expected {entry['status']}")


def _flufl_count(raw: bytes) -> int:
    message = email.message_from_bytes(raw, policy=policy.compat32)
    try:
        temporary, permanent = all_failures(message)
    except Exception:
        return 0
    return len(temporary | permanent)


ANYMAIL_KINDS = {"bounced": "bounce", "rejected": "bounce", "complained": "complaint",
                 "unsubscribed": "unsubscribe", "deferred": "deferral"}
PROVIDER_OF_FILE = {"amazon_ses": "ses", "sendgrid": "sendgrid", "postmark": "postmark",
                    "mailgun": "mailgun", "sparkpost": "sparkpost", "brevo": "brevo",
                    "mailjet": "mailjet"}


def webhook_cases(rows: list[dict[str, Any]]) -> tuple[list[tuple[str, str, bytes, str]], int]:
    """(provider, id, body, expected kind) for every usable payload; and how many were not."""
    cases, unusable = [], 0
    for row in rows:
        provider = next((p for f, p in PROVIDER_OF_FILE.items() if f"test_{f}_" in row["file"]),
                        None)
        if provider is None:
            continue
        body = _body(provider, row["payloads"])
        if body is None:
            unusable += 1
            continue
        want = ANYMAIL_KINDS.get(row["expected"].get("event_type", ""), "ignore")
        cases.append((provider, row["id"], body, want))
    return cases, unusable


def _body(provider: str, payloads: dict[str, Any]) -> bytes | None:
    if provider == "ses":
        if isinstance(payloads.get("raw_sns_message"), dict):
            return json.dumps(payloads["raw_sns_message"]).encode()
        if "raw_ses_event" not in payloads:
            return None
        envelope = {"Type": "Notification", "MessageId": "benchmark",
                    "Message": json.dumps(payloads["raw_ses_event"])}
        return json.dumps(envelope).encode()
    for key in ("raw_events", "raw_event"):
        if not isinstance(payloads.get(key), str | type(None)):
            return json.dumps(payloads[key]).encode()
    return None  # recorded as a placeholder ("<non-literal …>") in the set


def score_webhooks(cases: list[tuple[str, str, bytes, str]]) -> tuple[Counter, Counter, list]:
    totals, hits, misses = Counter(), Counter(), []
    for provider, item_id, body, want in cases:
        kinds = {line["kind"] for line in webhook_lines(provider, item_id, body)}
        ok = kinds == {want} or (want == "ignore" and kinds <= {"ignore"})
        totals[provider] += 1
        hits[provider] += ok
        if not ok:
            misses.append(f"{item_id}: {sorted(kinds)} expected {want}")
    return totals, hits, misses


def speed(rows: list[dict[str, Any]], count: int) -> float:
    raws = [base64.b64decode(r["raw_b64"]) for r in rows]
    start = time.perf_counter()
    for index in range(count):
        report_lines("speed", raws[index % len(raws)])
    return count / (time.perf_counter() - start)


def render(split: str, score: Score, per_source: dict[str, Score], web: tuple, rate: float,
           count: int, unusable: int, halves: dict[str, Score]) -> list[str]:
    kind = score.share(score.kind_hits, score.recipients)
    status = score.share(score.status_hits, score.with_status)
    flufl = score.share(score.flufl_found, score.recipients)
    totals, hits, web_misses = web
    web_share = sum(hits.values()) / max(sum(totals.values()), 1)
    lines = [f"## Bounce and complaint messages (split: {split}; {score.messages} messages, "
             f"{score.recipients} recipients)", "",
             "| reader | recipients found | kind agrees | status agrees |", "|---|---:|---:|---:|",
             f"| briefing | {_found(score):.3f} | {kind:.3f} (goal {GOALS['kind']}) | "
             f"{status:.3f} (goal {GOALS['status']}; {score.with_status} with a status) |",
             f"| flufl.bounce alone | {flufl:.3f} | – | – |",
             *[f"| briefing, {name} half ({half.recipients}) | {_found(half):.3f} | "
               f"{half.share(half.kind_hits, half.recipients):.3f} | "
               f"{half.share(half.status_hits, half.with_status):.3f} |"
               for name, half in halves.items()], "",
             "The rules were written looking at the tune half only; confirm is held out."
             if halves else "", "",
             f"Lines beyond the expected recipients: {score.extra_lines}. "
             f"Speed: {rate:,.0f} reports/s ({count:,} reports, one process).", "",
             "### Misses by MTA / provider", "", "| source | recipients | misses |",
             "|---|---:|---|"]
    for source, sub in sorted(per_source.items()):
        missed = sub.misses.get(source, [])
        if missed:
            lines.append(f"| {source} | {sub.recipients} | {'<br>'.join(missed)} |")
    lines += ["", f"## Provider webhooks ({sum(totals.values())} payloads; {unusable} recorded "
              "only as placeholders, not scored)", "", "| provider | payloads | kind agrees |",
              "|---|---:|---:|"]
    lines += [f"| {p} | {totals[p]} | {hits[p] / totals[p]:.3f} |" for p in PROVIDERS if totals[p]]
    lines += [f"| all | {sum(totals.values())} | {web_share:.3f} (goal {GOALS['webhook']}) |"]
    lines += ["", *[f"- miss: {m}" for m in web_misses]] if web_misses else []
    held_out = "".join(f" {name}_kind={h.share(h.kind_hits, h.recipients):.3f}"
                       f" {name}_status={h.share(h.status_hits, h.with_status):.3f}"
                       for name, h in halves.items())
    lines += ["", f"RESULT split={split} kind={kind:.3f} status={status:.3f}{held_out} "
              f"flufl_found={flufl:.3f} webhook_kind={web_share:.3f} reports_per_s={rate:.0f}"]
    return lines


def _found(score: Score) -> float:
    missing = sum(1 for ms in score.misses.values() for m in ms if "kind missing" in m)
    return score.share(score.recipients - missing, score.recipients)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_EVAL_DIR)
    parser.add_argument("--split", choices=("all", "tune", "confirm"), default="all")
    parser.add_argument("--speed", type=int, default=10_000, help="reports to time")
    args = parser.parse_args(argv)

    with (args.eval_dir / "bounces-dev.jsonl").open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    chosen = [r for r in rows if args.split == "all" or split_of(r["id"]) == args.split]
    score = score_bounces(chosen)
    per_source: dict[str, Score] = {}
    for source in sorted({source_of(r["id"]) for r in chosen}):
        per_source[source] = score_bounces([r for r in chosen if source_of(r["id"]) == source])
    with (args.eval_dir / "webhooks-dev.jsonl").open(encoding="utf-8") as lines:
        cases, unusable = webhook_cases([json.loads(line) for line in lines if line.strip()])
    web = score_webhooks(cases)
    rate = speed(rows, args.speed)
    halves = {} if args.split != "all" else {
        name: score_bounces([r for r in rows if split_of(r["id"]) == name])
        for name in ("tune", "confirm")}

    text = "\n".join(render(args.split, score, per_source, web, rate, args.speed, unusable,
                             halves))
    suffix = "" if args.split == "all" else f"-{args.split}"
    output = REPO / f"benchmarks/results/bounces{suffix}.md"
    output.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
