"""Each broker gets the options that mean something to it, and a task reaches RabbitMQ."""

from __future__ import annotations

from pathlib import Path

from kombu import Connection

from briefing.core.config import load_settings
from workers import tasks
from workers.app import setup, transport_options


def test_the_visibility_timeout_is_for_redis_and_publish_confirms_for_rabbitmq() -> None:
    assert transport_options("redis://127.0.0.1:6379/0") == {"visibility_timeout": 3600}
    assert transport_options("amqp://guest:guest@127.0.0.1:5672//") == {"confirm_publish": True}
    assert transport_options("memory://localhost/") == {}


def test_a_task_sent_to_rabbitmq_waits_in_its_queue_persistently(
        tmp_path: Path, rabbitmq_url: str) -> None:
    from tests.support.worker import empty_queues

    empty_queues(rabbitmq_url)
    setup(load_settings({"BRIEFING_DATA_DIR": str(tmp_path / "var"),
                         "BRIEFING_BROKER_URL": rabbitmq_url}))
    tasks.sweep.apply_async()  # returns once the broker has confirmed it
    with Connection(rabbitmq_url) as connection:
        message = connection.SimpleQueue("celery").get(timeout=5)
        try:
            assert message.headers["task"] == "briefing.sweep"
            assert message.properties["delivery_mode"] == 2  # survives a broker restart
        finally:
            message.ack()
