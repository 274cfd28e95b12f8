"""Feeds of one host are polled at most BRIEFING_FEED_HOST_CONCURRENCY at a time, however
many workers there are: a real worker pool over Redis against a slow local feed server."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from briefing.core.config import load_settings
from briefing.core.db import Database, upgrade
from briefing.core.models import Feed
from briefing.ingest.feeds import host_lanes
from tests.support.web import WebServer
from tests.support.worker import WorkerProcess, wait_for

EMPTY_FEED = ("<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
              "<link>http://example.org/</link></channel></rss>")


def add_feeds(db: Database, urls: list[str]) -> list[int]:
    with db.session() as session:
        rows = [Feed(url=url, url_hash=f"{n:064d}", title=f"feed {n}")
                for n, url in enumerate(urls)]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def test_lanes_keep_each_host_to_its_limit_and_never_mix_hosts(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'lanes.db'}")
    upgrade(db)
    ids = add_feeds(db, [*(f"https://a.example/{n}.xml" for n in range(5)),
                         "https://www.a.example/x.xml", "https://b.example/feed"])
    lanes = host_lanes(db, ids, per_host=2)
    assert sorted(i for lane in lanes for i in lane) == sorted(ids)  # each feed once
    with db.session() as session:
        host = {f.id: f.url.split("/")[2].removeprefix("www.")
                for f in session.scalars(select(Feed))}
    assert all(len({host[i] for i in lane}) == 1 for lane in lanes)
    assert sorted(len(lane) for lane in lanes) == [1, 3, 3]  # a.example: 2 lanes, b: 1
    db.dispose()


def test_a_pool_of_four_polls_one_hosts_feeds_two_at_a_time(
        worker: WorkerProcess, worker_env: dict[str, str], web: WebServer) -> None:
    for n in range(8):
        web.slow(f"/feed/{n}.xml", 0.5, EMPTY_FEED, content_type="application/rss+xml")
    worker_env["BRIEFING_FEED_HOST_CONCURRENCY"] = "2"
    settings = load_settings(worker_env)
    db = Database(settings.database_url)
    upgrade(db)
    add_feeds(db, [web.url(f"/feed/{n}.xml") for n in range(8)])
    worker.start(concurrency=4)
    from workers import tasks
    from workers.app import setup

    setup(settings)
    tasks.poll_feeds.apply_async()
    wait_for(lambda: sum(web.hits(f"/feed/{n}.xml") for n in range(8)) >= 8, 120,
             what=f"every feed to be polled; log:\n{worker.log_text()}")
    assert web.most_in_flight == 2  # four workers, but one host: two lanes
    db.dispose()
