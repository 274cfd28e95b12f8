"""The only reader of the environment: every setting lives in one frozen `Settings`.

Values come from `BRIEFING_*` environment variables and, when present, a `.env` file in the
working directory (real environment variables win). A bad value stops start-up with a message
that names the variable, so a typo never turns into a silently ignored setting.

The defaults are the embedded mode: SQLite under `./var/`, no broker (tasks run in-process
through the same code path a worker would use), mail written to `./var/outbox/`.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from dotenv import dotenv_values

from briefing.core.errors import BriefingError
from briefing.core.languages import language_code

T = TypeVar("T")

SUMMARY_ALGORITHMS = (
    "default", "lead", "lsa", "lexrank", "textrank", "luhn", "edmundson", "kl", "sumbasic",
    "reduction",
)


class ConfigError(BriefingError, ValueError):
    """A setting has a value we cannot use; the message names the variable."""


@dataclass(frozen=True)
class Setting:
    """Documentation for one environment variable (the README test checks every one)."""

    name: str
    default: str
    help: str


# Every variable the project reads. `tests/project/test_docs.py` fails if one is missing from
# README.md.
SETTINGS: tuple[Setting, ...] = (
    Setting("BRIEFING_DATA_DIR", "./var", "Folder for the SQLite database, outbox and secret key."),
    Setting("BRIEFING_DATABASE_URL", "sqlite:///<data dir>/briefing.db",
            "SQLAlchemy URL; `postgresql+psycopg://user@host/db` for PostgreSQL."),
    Setting("BRIEFING_BROKER_URL", "(empty: run tasks in-process)",
            "Celery broker, e.g. `redis://127.0.0.1:6379/0`. Empty means embedded mode."),
    Setting("BRIEFING_API_TOKEN", "(empty: admin API refuses every call)",
            "Bearer token for the admin HTTP API."),
    Setting("BRIEFING_SECRET_KEY", "(generated once into <data dir>/secret_key)",
            "Key for signed links; at least 32 characters."),
    Setting("BRIEFING_SUMMARY_ALGORITHM", "default", "Default summarizer: "
            + ", ".join(SUMMARY_ALGORITHMS) + "."),
    Setting("BRIEFING_SUMMARY_SENTENCES", "3", "Default summary length in sentences (1-50)."),
    Setting("BRIEFING_SUMMARY_LANGUAGE", "english",
            "Fallback language (ISO 639-1 code or English name) for texts whose own language "
            "is unsure and undeclared; each article is otherwise summarized in its own."),
    Setting("BRIEFING_MAX_ARTICLE_BYTES", "2000000",
            "Largest article text or upload accepted; larger requests get 413."),
    Setting("BRIEFING_MAX_IMPORT_BYTES", "100000000",
            "Largest subscriber CSV accepted by the API (streamed to disk, not held in memory)."),
    Setting("BRIEFING_FETCH_TIMEOUT", "15", "Deadline in seconds for one fetch of a web page "
            "or feed: DNS, connect, headers, body and redirects together."),
    Setting("BRIEFING_FETCH_MAX_BYTES", "5000000", "Largest web page or feed downloaded."),
    Setting("BRIEFING_ALLOW_PRIVATE_URLS", "false",
            "Allow fetching loopback/private addresses (tests, intranet feeds)."),
    Setting("BRIEFING_FEED_POLL_MINUTES", "30", "How often the worker polls feeds."),
    Setting("BRIEFING_SWEEP_SECONDS", "300", "How often the worker re-enqueues stuck work."),
    Setting("BRIEFING_STUCK_AFTER_SECONDS", "600",
            "Work untouched for this long counts as stuck and is picked up again."),
    Setting("BRIEFING_TASK_MAX_RETRIES", "5", "Retries for transient task errors."),
    Setting("BRIEFING_SUMMARY_TIME_LIMIT", "60", "Seconds a summary task may run (soft limit)."),
    Setting("BRIEFING_LOG_LEVEL", "INFO", "Python log level."),
    Setting("BRIEFING_BASE_URL", "http://127.0.0.1:8000",
            "Public address of the web app, used in links inside emails."),
    Setting("BRIEFING_SMTP_HOST", "(empty: write mail to <data dir>/outbox)",
            "SMTP server for outgoing mail."),
    Setting("BRIEFING_SMTP_PORT", "587", "SMTP port."),
    Setting("BRIEFING_SMTP_SECURITY", "starttls", "none, starttls or tls (implicit TLS)."),
    Setting("BRIEFING_SMTP_USER", "(empty: no login)", "SMTP user name."),
    Setting("BRIEFING_SMTP_PASSWORD", "(empty)", "SMTP password."),
    Setting("BRIEFING_SMTP_TIMEOUT", "30", "Seconds before an SMTP command times out."),
    Setting("BRIEFING_SMTP_MESSAGES_PER_CONNECTION", "100",
            "Messages sent over one SMTP connection before it is renewed."),
    Setting("BRIEFING_SMTP_MAX_RATE", "0",
            "Most messages per second (0: no limit), shared by every sender of the account."),
    Setting("BRIEFING_SMTP_THROTTLE_PAUSE", "60",
            "Seconds every sender of the account waits when the server says to slow down."),
    Setting("BRIEFING_SEND_BATCH", "200", "Deliveries one worker claims at a time."),
    Setting("BRIEFING_SEND_CONCURRENCY", "2",
            "Parallel senders (SMTP connections) per edition."),
    Setting("BRIEFING_SEND_COMMIT_EVERY", "1",
            "Sent messages recorded per database commit. 1: a crash leaves only the message "
            "in flight in doubt; more is faster, and after a crash up to that many may be "
            "sent again (with the same Message-ID)."),
    Setting("BRIEFING_DELIVERY_MAX_ATTEMPTS", "8",
            "Tries per reader for temporary (4xx) failures before the delivery fails."),
    Setting("BRIEFING_BOUNCE_LIMIT", "3",
            "Hard bounces (5xx) after which a reader is marked bounced on every list."),
    Setting("BRIEFING_UNSUBSCRIBE_MAILTO", "(empty: the list's from address)",
            "Mailbox named in the mailto: form of List-Unsubscribe."),
    Setting("BRIEFING_DKIM_KEY_FILE", "(empty: no DKIM signing)",
            "PEM private key for DKIM signatures on briefings."),
    Setting("BRIEFING_DKIM_SELECTOR", "briefing", "DKIM selector (the DNS record's name)."),
    Setting("BRIEFING_DKIM_DOMAIN", "(empty: the list's from domain)", "DKIM signing domain."),
    Setting("BRIEFING_TICK_SECONDS", "60",
            "How often the scheduler asks which lists' editions are due."),
    Setting("BRIEFING_CONFIRM_DAYS", "7", "Days a confirmation link stays valid."),
    Setting("BRIEFING_UNSUBSCRIBE_DAYS", "730", "Days an unsubscribe link stays valid."),
    Setting("BRIEFING_CONFIRM_RESEND_MINUTES", "15",
            "Least time between two confirmation emails to one address and list."),
    Setting("BRIEFING_PUBLIC_RATE_LIMIT", "20",
            "Requests per minute one client address may make to the public pages."),
    Setting("BRIEFING_TRUSTED_PROXIES", "(empty: trust no proxy headers)",
            "Comma-separated IPs or CIDR networks of your reverse proxies; only requests from "
            "them may name the client's address in X-Forwarded-For."),
    Setting("BRIEFING_ADMIN_SESSION_HOURS", "12",
            "Hours an admin web app sign-in lasts before the person signs in again."),
)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    broker_url: str
    api_token: str
    # BRIEFING_SECRET_KEY as given; empty: `secret_key` generates one on first use.
    configured_secret_key: str = field(default="", repr=False)
    summary_algorithm: str = "default"
    summary_sentences: int = 3
    summary_language: str = "english"
    max_article_bytes: int = 2_000_000
    max_import_bytes: int = 100_000_000
    fetch_timeout: float = 15.0
    fetch_max_bytes: int = 5_000_000
    allow_private_urls: bool = False
    feed_poll_minutes: int = 30
    sweep_seconds: int = 300
    stuck_after_seconds: int = 600
    task_max_retries: int = 5
    summary_time_limit: int = 60
    log_level: str = "INFO"
    base_url: str = "http://127.0.0.1:8000"
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_timeout: float = 30.0
    smtp_messages_per_connection: int = 100
    smtp_max_rate: float = 0.0
    smtp_throttle_pause: int = 60
    send_batch: int = 200
    send_concurrency: int = 2
    send_commit_every: int = 1
    delivery_max_attempts: int = 8
    bounce_limit: int = 3
    unsubscribe_mailto: str = ""
    tick_seconds: int = 60
    dkim_key_file: Path | None = None
    dkim_selector: str = "briefing"
    dkim_domain: str = ""
    confirm_days: int = 7
    unsubscribe_days: int = 730
    confirm_resend_minutes: int = 15
    public_rate_limit: int = 20
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)
    trusted_proxies: tuple[str, ...] = ()
    admin_session_hours: int = 12

    @cached_property
    def secret_key(self) -> str:
        """The key for signed links. Generated into the data dir the first time a command
        needs it (never when settings are merely loaded), so it survives restarts."""
        return self.configured_secret_key or _persistent_secret(self.data_dir)

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def embedded(self) -> bool:
        """No broker: tasks run in the calling process."""
        return not self.broker_url


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"expected a whole number from {low} to {high}") from None
        if not low <= value <= high:
            raise ValueError(f"expected a whole number from {low} to {high}")
        return value
    return parse


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("expected a number above 0")
    return value


def _language(raw: str) -> str:
    if language_code(raw) is None:
        raise ValueError("expected an ISO 639-1 code such as 'de' or a name such as 'german'")
    return raw.strip()


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError("expected one of " + ", ".join(options))
        return value
    return parse


def _database_url(raw: str) -> str:
    if not raw.startswith(("sqlite:", "postgresql")):
        raise ValueError("expected a sqlite:/// or postgresql+psycopg:// URL")
    return raw


def _broker_url(raw: str) -> str:
    if raw and not raw.startswith(("redis://", "rediss://", "amqp://", "memory://")):
        raise ValueError("expected a redis:// or amqp:// URL, or nothing for embedded mode")
    return raw


def _secret_key(raw: str) -> str:
    if len(raw) < 32:
        raise ValueError("expected at least 32 characters")
    return raw


def _base_url(raw: str) -> str:
    if not raw.startswith(("http://", "https://")) or " " in raw:
        raise ValueError("expected an http:// or https:// address")
    return raw.rstrip("/")


def _non_negative_float(raw: str) -> float:
    value = float(raw)
    if value < 0:
        raise ValueError("expected a number of 0 or more")
    return value


def _log_level(raw: str) -> str:
    value = raw.strip().upper()
    if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return value


class _Reader:
    """Reads raw strings and converts them, naming the variable when a value is bad."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def get(self, name: str, parse: Callable[[str], T], default: T) -> T:
        raw = self.env.get(name)
        if raw is None or (raw.strip() == "" and not isinstance(default, str)):
            return default
        try:
            return parse(raw.strip())
        except ValueError as exc:
            reason = str(exc) if "expected" in str(exc) else "not a valid value"
            raise ConfigError(f"{name}={raw!r} is invalid: {reason}") from None


def _persistent_secret(data_dir: Path) -> str:
    """A secret generated once per installation, so signed links survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process generated it just now: use theirs
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _environment(env: Mapping[str, str] | None) -> dict[str, str]:
    if env is not None:
        return dict(env)
    merged = {k: v for k, v in dotenv_values(".env").items() if v is not None}
    merged.update(os.environ)
    return merged


def _smtp_settings(read: _Reader) -> dict[str, Any]:
    return {
        "smtp_host": read.get("BRIEFING_SMTP_HOST", str, ""),
        "smtp_port": read.get("BRIEFING_SMTP_PORT", _int_between(1, 65535), 587),
        "smtp_security": read.get(
            "BRIEFING_SMTP_SECURITY", _choice(("none", "starttls", "tls")), "starttls"),
        "smtp_user": read.get("BRIEFING_SMTP_USER", str, ""),
        "smtp_password": read.get("BRIEFING_SMTP_PASSWORD", str, ""),
        "smtp_timeout": read.get("BRIEFING_SMTP_TIMEOUT", _positive_float, 30.0),
        "smtp_messages_per_connection": read.get(
            "BRIEFING_SMTP_MESSAGES_PER_CONNECTION", _int_between(1, 100_000), 100),
        "smtp_max_rate": read.get("BRIEFING_SMTP_MAX_RATE", _non_negative_float, 0.0),
        "smtp_throttle_pause": read.get(
            "BRIEFING_SMTP_THROTTLE_PAUSE", _int_between(1, 3600), 60),
    }


def _delivery_settings(read: _Reader) -> dict[str, Any]:
    return {
        "send_batch": read.get("BRIEFING_SEND_BATCH", _int_between(1, 10_000), 200),
        "send_concurrency": read.get("BRIEFING_SEND_CONCURRENCY", _int_between(1, 64), 2),
        "send_commit_every": read.get("BRIEFING_SEND_COMMIT_EVERY", _int_between(1, 1000), 1),
        "delivery_max_attempts": read.get(
            "BRIEFING_DELIVERY_MAX_ATTEMPTS", _int_between(1, 100), 8),
        "bounce_limit": read.get("BRIEFING_BOUNCE_LIMIT", _int_between(1, 100), 3),
        "unsubscribe_mailto": read.get("BRIEFING_UNSUBSCRIBE_MAILTO", _mailbox, ""),
        "tick_seconds": read.get("BRIEFING_TICK_SECONDS", _int_between(1, 3600), 60),
        "dkim_key_file": read.get("BRIEFING_DKIM_KEY_FILE", _readable_file, None),
        "dkim_selector": read.get("BRIEFING_DKIM_SELECTOR", str, "briefing"),
        "dkim_domain": read.get("BRIEFING_DKIM_DOMAIN", str, ""),
    }


def _readable_file(raw: str) -> Path | None:
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.is_file():
        raise ValueError(f"expected a readable file; {path} does not exist")
    return path


def _mailbox(raw: str) -> str:
    if raw and ("@" not in raw or any(ch in raw for ch in " <>\r\n,")):
        raise ValueError("expected a plain email address")
    return raw


def _networks(raw: str) -> tuple[str, ...]:
    """IP addresses and CIDR networks, written the way uvicorn's proxy check reads them."""
    found = []
    for item in (part.strip() for part in raw.split(",")):
        if not item:
            continue
        try:
            found.append(str(ipaddress.ip_network(item, strict=False)) if "/" in item
                         else str(ipaddress.ip_address(item)))
        except ValueError:
            raise ValueError(f"expected IP addresses or networks such as 10.0.0.0/8, "
                             f"separated by commas; {item!r} is neither") from None
    return tuple(found)


# Names the test suite reads for itself (tests/support/services.py); they configure no
# part of the service, so they are neither settings nor typos.
TEST_SUITE_NAMES = frozenset({"BRIEFING_REQUIRE_SERVICES"})
TEST_SUITE_PREFIX = "BRIEFING_TEST_"


def _refuse_unknown_names(values: Mapping[str, str]) -> None:
    """A misspelled name would otherwise be ignored without a word (BRIEFING_SMTP_HSOT
    quietly writing mail to the outbox), so any BRIEFING_* name we do not read stops start-up."""
    known = {setting.name for setting in SETTINGS}
    for name in sorted(values):
        if (name.startswith("BRIEFING_") and name not in known
                and name not in TEST_SUITE_NAMES and not name.startswith(TEST_SUITE_PREFIX)):
            raise ConfigError(f"{name} is not a setting{_suggestion(name, known)}")


def _suggestion(name: str, known: set[str]) -> str:
    # Compared without the shared prefix, which would make every name look alike.
    prefix = len("BRIEFING_")
    close = difflib.get_close_matches(name[prefix:], sorted(k[prefix:] for k in known), n=1)
    if not close:
        return " (the README's Configuration table lists them all)"
    return f"; did you mean BRIEFING_{close[0]}?"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from `env` (default: `.env` plus the process environment)."""
    values = _environment(env)
    _refuse_unknown_names(values)
    read = _Reader(values)
    data_dir = Path(read.get("BRIEFING_DATA_DIR", str, "./var")).expanduser()
    default_db = f"sqlite:///{data_dir / 'briefing.db'}"
    secret = read.get("BRIEFING_SECRET_KEY", _secret_key, "")
    return Settings(
        data_dir=data_dir,
        database_url=read.get("BRIEFING_DATABASE_URL", _database_url, default_db),
        broker_url=read.get("BRIEFING_BROKER_URL", _broker_url, ""),
        api_token=read.get("BRIEFING_API_TOKEN", str, ""),
        configured_secret_key=secret,
        summary_algorithm=read.get(
            "BRIEFING_SUMMARY_ALGORITHM", _choice(SUMMARY_ALGORITHMS), "default"),
        summary_sentences=read.get("BRIEFING_SUMMARY_SENTENCES", _int_between(1, 50), 3),
        summary_language=read.get("BRIEFING_SUMMARY_LANGUAGE", _language, "english"),
        max_article_bytes=read.get(
            "BRIEFING_MAX_ARTICLE_BYTES", _int_between(1_000, 100_000_000), 2_000_000),
        max_import_bytes=read.get(
            "BRIEFING_MAX_IMPORT_BYTES", _int_between(1_000, 10_000_000_000), 100_000_000),
        fetch_timeout=read.get("BRIEFING_FETCH_TIMEOUT", _positive_float, 15.0),
        fetch_max_bytes=read.get(
            "BRIEFING_FETCH_MAX_BYTES", _int_between(10_000, 200_000_000), 5_000_000),
        allow_private_urls=read.get("BRIEFING_ALLOW_PRIVATE_URLS", _parse_bool, False),
        feed_poll_minutes=read.get("BRIEFING_FEED_POLL_MINUTES", _int_between(1, 10_080), 30),
        sweep_seconds=read.get("BRIEFING_SWEEP_SECONDS", _int_between(1, 86_400), 300),
        stuck_after_seconds=read.get(
            "BRIEFING_STUCK_AFTER_SECONDS", _int_between(1, 604_800), 600),
        task_max_retries=read.get("BRIEFING_TASK_MAX_RETRIES", _int_between(0, 100), 5),
        summary_time_limit=read.get("BRIEFING_SUMMARY_TIME_LIMIT", _int_between(1, 3_600), 60),
        log_level=read.get("BRIEFING_LOG_LEVEL", _log_level, "INFO"),
        base_url=read.get("BRIEFING_BASE_URL", _base_url, "http://127.0.0.1:8000"),
        **_smtp_settings(read),
        **_delivery_settings(read),
        confirm_days=read.get("BRIEFING_CONFIRM_DAYS", _int_between(1, 365), 7),
        unsubscribe_days=read.get("BRIEFING_UNSUBSCRIBE_DAYS", _int_between(30, 3650), 730),
        confirm_resend_minutes=read.get(
            "BRIEFING_CONFIRM_RESEND_MINUTES", _int_between(0, 1440), 15),
        public_rate_limit=read.get("BRIEFING_PUBLIC_RATE_LIMIT", _int_between(1, 100_000), 20),
        extra={k: v for k, v in values.items() if k.startswith("BRIEFING_")},
        trusted_proxies=read.get("BRIEFING_TRUSTED_PROXIES", _networks, ()),
        admin_session_hours=read.get("BRIEFING_ADMIN_SESSION_HOURS", _int_between(1, 720), 12),
    )
