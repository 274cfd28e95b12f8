"""Pointing a process at another broker: its next task message goes there, not to the old one."""

from __future__ import annotations

from pathlib import Path

import redis

from briefing.core.config import load_settings
from workers import tasks
from workers.app import setup


def test_after_setup_with_another_broker_messages_go_to_the_new_one(
        tmp_path: Path, redis_url: str) -> None:
    queue = redis.Redis.from_url(redis_url)
    queue.flushdb()
    env = {"BRIEFING_DATA_DIR": str(tmp_path / "var")}
    # First a broker nobody reads (the API's tests, a CLI run, a broker that moved)...
    setup(load_settings({**env, "BRIEFING_BROKER_URL": "memory://localhost/"}))
    tasks.sweep.apply_async()
    # ...then the real one: the message must not go on to the old broker unseen.
    setup(load_settings({**env, "BRIEFING_BROKER_URL": redis_url}))
    tasks.sweep.apply_async()
    assert queue.llen("celery") == 1
