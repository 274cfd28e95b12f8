"""The delivery benchmark's runs and its report: the tables, the RESULT line, the results file.

Kept apart from `benchmarks/deliver.py`, which starts and measures the processes.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PROCESSES = 2  # worker pool processes and SMTP connections when none are asked for
DEFAULT_DATABASE = "sqlite"
DEFAULT_BROKER = "redis"


@dataclass(frozen=True)
class Setup:
    """What one pipeline run goes through."""

    broker: str
    database: str
    processes: int


@dataclass
class Run:
    label: str
    messages: int
    seconds: float
    rss_mb: dict[str, float] = field(default_factory=dict)
    cpu_s: dict[str, float] = field(default_factory=dict)  # "senders" and "sink"
    setup: Setup | None = None  # None: the bare smtplib ceiling
    readers: int = 0

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds > 0 else 0.0

    @property
    def worker_peak_mb(self) -> float:
        return max((mb for name, mb in self.rss_mb.items() if name.startswith("worker")),
                   default=0.0)


@dataclass(frozen=True)
class Conditions:
    """What the footnote says about the whole invocation."""

    message_bytes: int
    ceiling_connections: int
    commit_every: int
    load_before: float


def markdown(runs: list[Run], ceiling: Run, conditions: Conditions) -> str:
    """The summary (one line per run, each against the one ceiling), then the details."""
    return "\n".join([*summary(runs, ceiling), "", *details([*runs, ceiling]), "",
                      footnote(conditions)])


def summary(runs: list[Run], ceiling: Run) -> list[str]:
    lines = ["| database | broker | processes | readers | msgs/s | ceiling msgs/s | ratio "
             "| worker peak MB |", "|---|---|---:|---:|---:|---:|---:|---:|"]
    for run in runs:
        assert run.setup is not None
        lines.append(f"| {run.setup.database} | {run.setup.broker} | {run.setup.processes} "
                     f"| {run.readers:,} | {run.rate:,.0f} | {ceiling.rate:,.0f} "
                     f"| {ratio(run, ceiling):.2f} | {run.worker_peak_mb:.0f} |")
    return lines


def details(runs: list[Run]) -> list[str]:
    lines = ["| run | messages | seconds | msgs/s | sender CPU µs/msg | sink CPU µs/msg "
             "| peak RSS per process (MB) |", "|---|---:|---:|---:|---:|---:|---|"]
    for run in runs:
        memory = ", ".join(f"{name} {mb:.0f}" for name, mb in run.rss_mb.items())
        per_message = {k: v / max(1, run.messages) * 1e6 for k, v in run.cpu_s.items()}
        lines.append(f"| {run.label} | {run.messages:,} | {run.seconds:.1f} | {run.rate:,.0f} "
                     f"| {per_message['senders']:,.0f} | {per_message['sink']:,.0f} "
                     f"| {memory} |")
    return lines


def footnote(conditions: Conditions) -> str:
    return (f"One reader's copy is {conditions.message_bytes:,} bytes. A pipeline run with N "
            "processes has N worker pool processes and N SMTP connections "
            "(BRIEFING_SEND_CONCURRENCY); the one ceiling of this invocation is "
            f"{conditions.ceiling_connections} bare smtplib connections. msgs/s is measured at "
            "the sink, from its first accepted message to its last. Sender CPU is the worker "
            "pool children (or the smtplib loops) over the same stretch. Python "
            f"{sys.version.split()[0]}, {os.cpu_count()} CPUs; BRIEFING_SEND_COMMIT_EVERY="
            f"{conditions.commit_every} (sent messages recorded per database commit); load "
            f"average before the run {conditions.load_before:.1f}.")


def ratio(run: Run, ceiling: Run) -> float:
    return run.rate / ceiling.rate if ceiling.rate else 0.0


def largest(runs: list[Run]) -> dict[Setup, Run]:
    """The run with the most readers of each setup, in the order the setups ran."""
    biggest: dict[Setup, Run] = {}
    for run in runs:
        assert run.setup is not None
        if run.setup not in biggest or run.readers >= biggest[run.setup].readers:
            biggest[run.setup] = run
    return biggest


def result_line(runs: list[Run], ceiling: Run) -> str:
    """Keys of the largest run of each setup. SQLite with 2 processes keeps the keys it always
    had (msgs_per_s, ratio); another database adds its name in front (postgresql_ratio); with
    a list of process counts each count also gets its own keys (sqlite_ratio_p4). With more
    than one broker, every key starts with the broker's name."""
    biggest = largest(runs)
    brokers = {setup.broker for setup in biggest}
    counts = {setup.processes for setup in biggest}
    parts = []
    for setup, big in biggest.items():
        start = f"{setup.broker}_" if len(brokers) > 1 else ""
        values = {"msgs_per_s": f"{big.rate:.0f}", "ratio": f"{ratio(big, ceiling):.2f}"}
        names = []
        if setup.processes == DEFAULT_PROCESSES:
            names.append(start if setup.database == DEFAULT_DATABASE
                         else f"{start}{setup.database}_")
        if counts != {DEFAULT_PROCESSES}:
            names.append(f"{start}{setup.database}_{{}}_p{setup.processes}")
        for name in names:
            pattern = name if "{}" in name else name + "{}"
            parts += [f"{pattern.format(key)}={value}" for key, value in values.items()]
    peak = max(mb for big in biggest.values() for mb in big.rss_mb.values())
    return (f"RESULT {' '.join(parts)} ceiling_msgs_per_s={ceiling.rate:.0f} "
            f"peak_rss_mb={peak:.0f}")


def results_path(results: Path, broker: str, database: str | None, processes: list[int]
                 ) -> Path:
    """The default run's file is the one the README's delivery ratio quotes; a broker
    comparison, an explicit --database or other process counts go beside it, not over it."""
    parts = []
    if broker != DEFAULT_BROKER:
        parts.append(broker)
    if database is not None:
        parts.append("sqlite-postgresql" if database == "both" else database)
    if processes != [DEFAULT_PROCESSES]:
        parts.append("p" + "-".join(str(n) for n in processes))
    return results.with_name("-".join([results.stem, *parts]) + results.suffix)
