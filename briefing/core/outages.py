"""A database or broker we cannot use, said in one line a person can act on: which setting,
which host:port (never the password), and what failed. Drivers' tracebacks run to 150 lines
and bury exactly these three facts."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from briefing.core.db import Database
from briefing.core.errors import ServiceDown

DATABASE_SETTING = "BRIEFING_DATABASE_URL"
BROKER_SETTING = "BRIEFING_BROKER_URL"
DEFAULT_PORTS = {"postgresql": 5432, "redis": 6379, "rediss": 6379, "amqp": 5672}

# Driver wording around the reason, e.g. psycopg's 'connection to server at "h", port 1
# failed: Connection refused', redis-py's 'Error 111 connecting to h:1. Connection refused.'
_PREFIXES = (re.compile(r"^.*\bfailed: "), re.compile(r"^Error -?\d+ connecting to \S+?\.\s+"),
             re.compile(r"^\[Errno -?\d+\]\s*"), re.compile(r"^(FATAL|ERROR):\s+"))


class ServiceUnreachable(ServiceDown):
    """The message is the whole story, in one line; the exit code is 1."""


def database_unreachable(url: str, exc: BaseException) -> ServiceUnreachable:
    return ServiceUnreachable(
        f"cannot reach {database_place(url)} ({DATABASE_SETTING}): {reason(exc, url)}")


def database_failed(url: str, exc: BaseException) -> ServiceUnreachable:
    """For a database that went away (or locked up) in the middle of a command."""
    return ServiceUnreachable(
        f"{database_place(url)} ({DATABASE_SETTING}) failed: {reason(exc, url)}")


def broker_unreachable(url: str, exc: BaseException) -> ServiceUnreachable:
    return ServiceUnreachable(
        f"cannot reach {broker_place(url)} ({BROKER_SETTING}): {reason(exc, url)}")


def database_place(url: str) -> str:
    """'PostgreSQL at 127.0.0.1:5432' or 'the SQLite database <file>'; nothing else of it."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "the database"
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite database {parsed.database or ':memory:'}"
    port = parsed.port or DEFAULT_PORTS.get(parsed.get_backend_name(), 0)
    return f"PostgreSQL at {parsed.host or 'the local socket'}:{port}"


def broker_place(url: str) -> str:
    """'the redis broker at 127.0.0.1:6379'; nothing else of the URL."""
    parts = urlsplit(url)
    try:
        port = parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    except ValueError:
        port = 0
    return f"the {parts.scheme or ''} broker at {parts.hostname or 'localhost'}:{port}"


def reason(exc: BaseException, url: str = "") -> str:
    """What failed, from the driver's own words minus their wrapping; never a password."""
    original = getattr(exc, "orig", None) or exc  # SQLAlchemy wraps the driver's error
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    text = lines[0] if lines else type(original).__name__
    for prefix in _PREFIXES:
        text = prefix.sub("", text)
    password = _password(url)
    if password:
        text = text.replace(password, "***")
    text = text.strip().rstrip(".")
    return (text[:1].lower() + text[1:]) if text else type(original).__name__


def _password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def open_database(url: str) -> Database:
    """The database at `url`, connected once to prove it answers; else one line saying why."""
    try:
        db = Database(url)  # for SQLite, this makes the file's folder
    except OSError as exc:
        raise database_unreachable(url, exc) from None
    try:
        with db.engine.connect():
            pass
    except DBAPIError as exc:
        db.dispose()
        raise database_unreachable(url, exc) from None
    return db
