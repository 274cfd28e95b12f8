"""Building an edition for a million readers: time and peak memory against the reader count.

For each size in `--sizes`, on SQLite and on PostgreSQL (the machine's server, a scratch
database), a fresh process seeds a list of that many readers (bulk inserts, as an import ends
up), then builds today's edition: compose, render once, and queue one delivery row per reader
(`INSERT … SELECT` in the database, so no reader passes through Python). Each size runs in its
own process so peak memory is that size's alone. Memory must not grow with the readers; the
build time should grow linearly (the baseline is the smallest size in the same run: time per
reader at each size against it).

Sending is measured by `python -m benchmarks.deliver --subscribers 1000000`.

    python -m benchmarks.million [--sizes 100000,1000000] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]


def build_once(readers: int, database_url: str, workdir: Path) -> dict[str, float]:
    """Run in the child process: seed, then build; the figures as a dict."""
    from benchmarks.deliver import seed_articles, seed_list
    from briefing.core.config import load_settings
    from briefing.core.db import Database, upgrade
    from briefing.core.models import Delivery
    from briefing.editions.compose import build_edition
    from briefing.editions.service import ensure_edition

    settings = load_settings({"BRIEFING_DATA_DIR": str(workdir), "BRIEFING_SECRET_KEY": "m" * 40,
                              "BRIEFING_DATABASE_URL": database_url})
    db = Database(settings.database_url)
    upgrade(db)
    started = time.monotonic()
    seed_list(db, readers)
    seed_articles(db, settings, count=3)
    seeded = time.monotonic() - started
    rss_before_build = _peak_mb()
    edition_id, _ = ensure_edition(db, "daily")
    started = time.monotonic()
    build_edition(db, edition_id, settings)
    built = time.monotonic() - started
    with db.session() as session:
        queued = session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.edition_id == edition_id))
    db.dispose()
    return {"readers": readers, "queued": float(queued or 0), "seed_s": seeded,
            "build_s": built, "peak_mb_before_build": rss_before_build, "peak_mb": _peak_mb()}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(readers: int, database: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="bench-million-") as folder:
        if database == "sqlite":
            return _child(readers, f"sqlite:///{folder}/briefing.db", folder)
        from tests.support.databases import scratch_postgres

        with scratch_postgres("briefing_million") as url:
            return _child(readers, url, folder)


def _child(readers: int, url: str, folder: str) -> dict[str, float]:
    code = ("import json, sys; from pathlib import Path; from benchmarks.million import "
            "build_once; print(json.dumps(build_once(int(sys.argv[1]), sys.argv[2], "
            "Path(sys.argv[3]))))")
    out = subprocess.run([sys.executable, "-c", code, str(readers), url, folder], cwd=ROOT,
                         check=True, capture_output=True, text=True).stdout
    figures: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return figures


def table(rows: list[tuple[str, dict[str, float]]]) -> str:
    lines = ["| database | readers | seed s | build s | build µs/reader | × smallest | peak MB "
             "(seeded) | peak MB (built) |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    smallest: dict[str, float] = {}
    for database, r in rows:
        per_reader = r["build_s"] / r["readers"] * 1e6
        smallest.setdefault(database, per_reader)
        lines.append(f"| {database} | {int(r['readers']):,} | {r['seed_s']:.1f} | "
                     f"{r['build_s']:.1f} | {per_reader:.1f} | "
                     f"{per_reader / smallest[database]:.2f} | {r['peak_mb_before_build']:.0f} | "
                     f"{r['peak_mb']:.0f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    for database in args.databases.split(","):
        for readers in sizes:
            print(f"{database}: {readers:,} readers", file=sys.stderr, flush=True)
            rows.append((database, run_child(readers, database)))
    print(table(rows))
    parts = [f"{db}_{int(r['readers'])}_build_s={r['build_s']:.1f} "
             f"{db}_{int(r['readers'])}_peak_mb={r['peak_mb']:.0f}" for db, r in rows]
    growth = {db: rows_for[-1]["peak_mb"] / rows_for[0]["peak_mb"] for db in
              {d for d, _ in rows} for rows_for in [[r for d, r in rows if d == db]]}
    parts += [f"{db}_memory_growth={g:.2f}" for db, g in sorted(growth.items())]
    print("RESULT " + " ".join(parts))


if __name__ == "__main__":
    main()
