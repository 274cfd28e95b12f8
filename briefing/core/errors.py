"""The errors every stage raises for a person to read, in one hierarchy.

Each face maps them by base class in one place — the API (`briefing/api/errors.py`) to an HTTP
status, the CLI (`briefing/cli/common.py`) to one line on stderr and exit code 1 — so a stage
never knows which face called it, and a new error needs no new handler.
"""

from __future__ import annotations

from typing import ClassVar


class BriefingError(Exception):
    """An error whose message is written for the person who caused or can fix it."""

    http_status: ClassVar[int] = 422


class InputError(BriefingError, ValueError):
    """Input we cannot use (an article, a list setting, an address...); the message says why."""


class NotFound(InputError):
    """The thing named (a list, a user, an article) does not exist."""

    http_status = 404


class AlreadyExists(InputError):
    """The thing to create exists already (a feed's URL, a list's slug)."""

    http_status = 409


class RemoteFailure(BriefingError):
    """A server we asked (a web page, a feed) failed us; nothing is wrong on our side."""

    http_status = 502


class ServiceDown(BriefingError):
    """A service we need (the database, the broker) cannot be used right now."""

    http_status = 503
