"""Asking the broker how it is: reachable at all, and how many tasks wait in the queue.

Kept here, beside the Celery app, because the core may not speak kombu; the core's status
report takes the queue depth as a function (see briefing.operations.status)."""

from __future__ import annotations

from kombu import Connection
from kombu.exceptions import ChannelError

from briefing.core.outages import broker_unreachable

TIMEOUT = 2.0  # seconds; a probe must answer quickly even when the broker is gone
QUEUE = "celery"  # Celery's default queue: every briefing task goes there


def _connected(url: str) -> Connection:
    connection = Connection(url, connect_timeout=TIMEOUT)
    try:
        connection.ensure_connection(max_retries=1, interval_start=0.1, interval_step=0.1,
                                     timeout=TIMEOUT)
    except Exception as exc:
        connection.release()
        raise broker_unreachable(url, exc) from None
    return connection


def check_broker(url: str) -> None:
    """Raises ServiceUnreachable (one line, no password) when the broker does not answer."""
    _connected(url).release()


def queue_depth(url: str) -> int:
    """Messages waiting for a worker (not counting those a worker has already taken)."""
    with _connected(url) as connection:
        try:
            declared = connection.default_channel.queue_declare(queue=QUEUE, passive=True)
        except ChannelError:  # no such queue yet (Redis keeps no empty lists): none waiting
            return 0
        except Exception as exc:
            raise broker_unreachable(url, exc) from None
        return int(declared.message_count)
