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
from dataclasses import dataclass, field, fields
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
    schemes = ("redis://", "rediss://", "amqp://", "amqps://", "memory://")
    if raw and not raw.startswith(schemes):
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


def _path(raw: str) -> Path:
    return Path(raw).expanduser()


def _readable_file(raw: str) -> Path | None:
    if not raw:
        return None
    path = Path(raw).expanduser()
    if not path.is_file():
        raise ValueError(f"expected a readable file; {path} does not exist")
    return path


def _imap_url(raw: str) -> str:
    if raw and not raw.startswith(("imap://", "imaps://")):
        raise ValueError("expected imaps://user:password@host/FOLDER (or imap:// on a "
                         "trusted network)")
    return raw


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


@dataclass(frozen=True)
class Setting:
    """One environment variable as the README's Configuration table shows it."""

    name: str
    default: str
    help: str


# Keys of a settings field's metadata: its documentation and the parser of its raw value.
_DOC = "briefing.setting"
_PARSE = "briefing.parse"


def setting(name: str, default: T, parse: Callable[[str], T], help: str, *,
            shown: str | None = None) -> T:
    """Declare a `Settings` field once: its variable, default, parser (which holds its bounds)
    and help. The loader, the unknown-name check and the README table all read this."""
    doc = Setting(name, shown if shown is not None else f"`{_rendered(default)}`", help)
    secret = any(word in name for word in ("PASSWORD", "SECRET", "TOKEN", "IMAP_URL"))
    return field(default=default, repr=not secret, metadata={_DOC: doc, _PARSE: parse})


def _rendered(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class Settings:
    """Every setting, each declared once with `setting()`; `load_settings` fills them in."""

    data_dir: Path = setting(
        "BRIEFING_DATA_DIR", Path("./var"), _path,
        'Folder for the SQLite database, outbox and secret key.',
        shown='`./var`')
    database_url: str = setting(
        "BRIEFING_DATABASE_URL", "", _database_url,
        'SQLAlchemy URL; `postgresql+psycopg://user@host/db` for PostgreSQL.',
        shown='`sqlite:///<data dir>/briefing.db`')
    broker_url: str = setting(
        "BRIEFING_BROKER_URL", "", _broker_url,
        'Celery broker: `redis://127.0.0.1:6379/0`, or RabbitMQ as '
        '`amqp://guest:guest@127.0.0.1:5672//`. Empty means embedded mode.',
        shown='empty: run tasks in-process')
    api_token: str = setting(
        "BRIEFING_API_TOKEN", "", str,
        "Bearer token for the admin HTTP API, allowed everything. People's own tokens (`briefing "
        'users tokens add`) work beside it, with their role.',
        shown='empty: only personal tokens are taken')
    # BRIEFING_SECRET_KEY as given; empty: `secret_key` generates one on first use.
    configured_secret_key: str = setting(
        "BRIEFING_SECRET_KEY", "", _secret_key,
        'Key for signed links; at least 32 characters.',
        shown='generated once into `<data dir>/secret_key`')
    summary_algorithm: str = setting(
        "BRIEFING_SUMMARY_ALGORITHM", "default", _choice(SUMMARY_ALGORITHMS),
        "Default summarizer: " + ", ".join(f"`{name}`" for name in SUMMARY_ALGORITHMS) + ".")
    summary_sentences: int = setting(
        "BRIEFING_SUMMARY_SENTENCES", 3, _int_between(1, 50),
        'Default summary length in sentences (1–50).')
    summary_language: str = setting(
        "BRIEFING_SUMMARY_LANGUAGE", "english", _language,
        'Fallback language (ISO 639-1 code or English name) for a text too short to tell its '
        'language and with none declared; every other article is summarized in its own (see '
        '[Languages](#languages)).')
    max_article_bytes: int = setting(
        "BRIEFING_MAX_ARTICLE_BYTES", 2_000_000, _int_between(1_000, 100_000_000),
        'Largest article text or upload accepted; larger API requests get 413.')
    max_import_bytes: int = setting(
        "BRIEFING_MAX_IMPORT_BYTES", 100_000_000, _int_between(1_000, 10_000_000_000),
        "Largest subscriber CSV the API's import accepts (413 past it). The upload is streamed to"
        ' a temporary file, so memory stays flat; the CLI import has no cap.')
    fetch_timeout: float = setting(
        "BRIEFING_FETCH_TIMEOUT", 15.0, _positive_float,
        'Deadline in seconds for one fetch of a web page or feed: DNS, connect, headers, body and'
        " redirects together. A feed poll spends at most 8 times this on its entries' pages, then"
        ' leaves the rest for the next poll.')
    fetch_max_bytes: int = setting(
        "BRIEFING_FETCH_MAX_BYTES", 5_000_000, _int_between(10_000, 200_000_000),
        'Largest web page or feed downloaded.')
    allow_private_urls: bool = setting(
        "BRIEFING_ALLOW_PRIVATE_URLS", False, _parse_bool,
        'Allow fetching loopback/private addresses (tests, intranet feeds).')
    feed_poll_minutes: int = setting(
        "BRIEFING_FEED_POLL_MINUTES", 30, _int_between(1, 10_080),
        'How often the worker polls feeds.')
    feed_host_concurrency: int = setting(
        "BRIEFING_FEED_HOST_CONCURRENCY", 2, _int_between(1, 100),
        'Most feeds of one host polled at once (across the pool): a site with many feeds is '
        'not hit by every worker together.')
    sweep_seconds: int = setting(
        "BRIEFING_SWEEP_SECONDS", 300, _int_between(1, 86_400),
        'How often the worker re-enqueues stuck work.')
    stuck_after_seconds: int = setting(
        "BRIEFING_STUCK_AFTER_SECONDS", 600, _int_between(1, 604_800),
        'Work untouched for this long counts as stuck and is picked up again.')
    task_max_retries: int = setting(
        "BRIEFING_TASK_MAX_RETRIES", 5, _int_between(0, 100),
        'Retries for transient task errors.')
    summary_time_limit: int = setting(
        "BRIEFING_SUMMARY_TIME_LIMIT", 60, _int_between(1, 3_600),
        'Seconds a summary task may run (soft limit).')
    log_level: str = setting(
        "BRIEFING_LOG_LEVEL", "INFO", _log_level,
        'Python log level.')
    log_format: str = setting(
        "BRIEFING_LOG_FORMAT", "text", _choice(("text", "json")),
        '`text`, or `json`: one JSON object a line with time, level, logger, message and the '
        'ids in play (`article_id`, `edition_id`, `delivery_id`, `task_id`), from the CLI, '
        '`serve` and workers alike (see [Logs and metrics](#logs-and-metrics)).')
    metrics_token: str = setting(
        "BRIEFING_METRICS_TOKEN", "", str,
        'Bearer token Prometheus sends to read `GET /metrics`. Empty: `/metrics` answers 404.',
        shown='empty: no metrics page')
    metrics_dir: Path | None = setting(
        "BRIEFING_METRICS_DIR", None, _path,
        "Folder where every process (API, workers, CLI) writes its counters for `/metrics` to "
        "add up (prometheus_client's multi-process mode). Every process of one installation "
        "must share it; it must be on a local disk.",
        shown='`<data dir>/metrics`')
    base_url: str = setting(
        "BRIEFING_BASE_URL", "http://127.0.0.1:8000", _base_url,
        'Public address of the web app, used in links inside emails (confirm, unsubscribe).')
    smtp_host: str = setting(
        "BRIEFING_SMTP_HOST", "", str,
        'SMTP server for outgoing mail.',
        shown='empty: write mail to `<data dir>/outbox`')
    smtp_port: int = setting(
        "BRIEFING_SMTP_PORT", 587, _int_between(1, 65535),
        'SMTP port.')
    smtp_security: str = setting(
        "BRIEFING_SMTP_SECURITY", "starttls", _choice(("none", "starttls", "tls")),
        '`none`, `starttls` or `tls` (implicit TLS, usually port 465).')
    smtp_user: str = setting(
        "BRIEFING_SMTP_USER", "", str,
        'SMTP user name.',
        shown='empty: no login')
    smtp_password: str = setting(
        "BRIEFING_SMTP_PASSWORD", "", str,
        'SMTP password.',
        shown='empty')
    smtp_timeout: float = setting(
        "BRIEFING_SMTP_TIMEOUT", 30.0, _positive_float,
        'Seconds before an SMTP command times out.')
    smtp_messages_per_connection: int = setting(
        "BRIEFING_SMTP_MESSAGES_PER_CONNECTION", 100, _int_between(1, 100_000),
        'Messages sent over one SMTP connection before it is renewed.')
    smtp_max_rate: float = setting(
        "BRIEFING_SMTP_MAX_RATE", 0.0, _non_negative_float,
        'Most messages per second (0: no limit), for providers that throttle. One limit for the '
        'SMTP account, shared by every connection, worker and machine sending through it (taken '
        'in turns through the database), not one per connection.')
    smtp_throttle_pause: int = setting(
        "BRIEFING_SMTP_THROTTLE_PAUSE", 60, _int_between(1, 3600),
        'When the server says to slow down (421, or a 4xx about rate, load or policy rather than '
        'one reader), every sender of the account stops for this many seconds, doubling for each '
        "pause in a row (no message accepted in between) up to an hour. Readers' attempts are not"
        ' spent while paused: throttling delays mail, never loses it.')
    send_batch: int = setting(
        "BRIEFING_SEND_BATCH", 200, _int_between(1, 10_000),
        'Deliveries one worker claims at a time.')
    send_concurrency: int = setting(
        "BRIEFING_SEND_CONCURRENCY", 2, _int_between(1, 64),
        'Parallel senders (SMTP connections) per edition.')
    send_commit_every: int = setting(
        "BRIEFING_SEND_COMMIT_EVERY", 1, _int_between(1, 1000),
        'Sent messages recorded per database commit. `1`: after a crash only the message in '
        'flight can be in doubt. Larger is faster (see below) but a crash can leave up to that '
        'many accepted messages unrecorded, which are then sent again with the same Message-ID.')
    send_synchronous_commit: bool = setting(
        "BRIEFING_SEND_SYNCHRONOUS_COMMIT", False, _parse_bool,
        'PostgreSQL only: wait for each `sent` outcome to reach the disk before the next '
        "message's body goes out. `false` (asynchronous commit) is much faster, and a killed "
        'worker still loses nothing; only a crash of PostgreSQL itself can lose the last '
        '~`wal_writer_delay` of outcomes, whose messages are then sent again with the same '
        'Message-ID.')
    delivery_max_attempts: int = setting(
        "BRIEFING_DELIVERY_MAX_ATTEMPTS", 8, _int_between(1, 100),
        'Tries per reader for temporary (4xx) failures before the delivery fails.')
    bounce_limit: int = setting(
        "BRIEFING_BOUNCE_LIMIT", 3, _int_between(1, 100),
        'Hard bounces (5xx) after which a reader is marked bounced on every list.')
    bounce_address: str = setting(
        "BRIEFING_BOUNCE_ADDRESS", "", _mailbox,
        "Envelope sender for briefings, e.g. `bounces@news.example.org`: each copy then goes "
        "out from `bounces+<signed token>@…` (VERP), so a bounce names the copy it is about. "
        "Mail to that domain must reach `briefing bounces receive` or `serve` (see [Reading "
        "bounces and complaints](#reading-bounces-and-complaints)).",
        shown="empty: the list's from address, no VERP")
    soft_bounce_days: int = setting(
        "BRIEFING_SOFT_BOUNCE_DAYS", 30, _int_between(1, 365),
        "A reader's count of temporary bounces starts again after this many days without one, "
        "or after a copy is delivered to them since the last one.")
    bounce_keep_days: int = setting(
        "BRIEFING_BOUNCE_KEEP_DAYS", 90, _int_between(1, 3650),
        "Days a received bounce or complaint report is kept whole (its raw message) for "
        "`briefing bounces show`; the classification stays afterwards.")
    webhook_secret: str = setting(
        "BRIEFING_WEBHOOK_SECRET", "", str,
        "Mailgun's webhook signing key, and the basic-auth password that Postmark, SparkPost, "
        "Brevo and Mailjet put in the webhook URL (`https://hooks:SECRET@…/webhooks/postmark`)."
        " Empty: those webhooks are refused (401).",
        shown="empty: webhooks refused")
    sendgrid_webhook_key: str = setting(
        "BRIEFING_SENDGRID_WEBHOOK_KEY", "", str,
        "The verification key (base64) of SendGrid's Signed Event Webhook. Empty: SendGrid's "
        "calls are refused (401).",
        shown="empty: refused")
    pause_bounce_rate: float = setting(
        "BRIEFING_PAUSE_BOUNCE_RATE", 5.0, _non_negative_float,
        "Percent of an edition's accepted copies reported as hard bounces past which the "
        "list's sending pauses (checked from 100 copies on); `briefing editions resume ID` "
        "lifts it.")
    pause_complaint_rate: float = setting(
        "BRIEFING_PAUSE_COMPLAINT_RATE", 0.3, _non_negative_float,
        "The same for spam complaints (Gmail and Yahoo require bulk senders to stay under "
        "0.3 %).")
    bounce_imap_url: str = setting(
        "BRIEFING_BOUNCE_IMAP_URL", "", _imap_url,
        "A mailbox the worker polls for bounces and complaints, e.g. "
        "`imaps://bounces:PASSWORD@mail.example.org/INBOX`: reports are recorded, then "
        "deleted; other mail is left untouched.",
        shown="empty: no mailbox polled")
    bounce_imap_minutes: int = setting(
        "BRIEFING_BOUNCE_IMAP_MINUTES", 5, _int_between(1, 1440),
        "How often the worker polls that mailbox.")
    unsubscribe_mailto: str = setting(
        "BRIEFING_UNSUBSCRIBE_MAILTO", "", _mailbox,
        'Mailbox named in the `mailto:` form of `List-Unsubscribe`.',
        shown="empty: the list's from address")
    dkim_key_file: Path | None = setting(
        "BRIEFING_DKIM_KEY_FILE", None, _readable_file,
        'PEM private key; briefings are then DKIM-signed over From, To, Subject, Date, '
        "Message-ID, List-Id, List-Unsubscribe and List-Unsubscribe-Post (dkimpy's Python RSA "
        'costs ~6 ms a message here, ~170 a second per core: at high volume let your relay sign).',
        shown='empty: no DKIM signing')
    dkim_selector: str = setting(
        "BRIEFING_DKIM_SELECTOR", "briefing", str,
        'DKIM selector: publish the public key at `<selector>._domainkey.<domain>`.')
    dkim_domain: str = setting(
        "BRIEFING_DKIM_DOMAIN", "", str,
        'DKIM signing domain (`d=`).',
        shown="empty: the list's from domain")
    tick_seconds: int = setting(
        "BRIEFING_TICK_SECONDS", 60, _int_between(1, 3600),
        "How often the scheduler asks which lists' editions are due.")
    confirm_days: int = setting(
        "BRIEFING_CONFIRM_DAYS", 7, _int_between(1, 365),
        'Days a confirmation link stays valid.')
    unsubscribe_days: int = setting(
        "BRIEFING_UNSUBSCRIBE_DAYS", 730, _int_between(30, 3650),
        'Days an unsubscribe link stays valid.')
    confirm_resend_minutes: int = setting(
        "BRIEFING_CONFIRM_RESEND_MINUTES", 15, _int_between(0, 1440),
        'Least time between two confirmation emails to one address and list (at most 5 a day).')
    public_rate_limit: int = setting(
        "BRIEFING_PUBLIC_RATE_LIMIT", 20, _int_between(1, 100_000),
        'Requests per minute one client address may make to the public pages and routes.')
    trusted_proxies: tuple[str, ...] = setting(
        "BRIEFING_TRUSTED_PROXIES", (), _networks,
        'Comma-separated IP addresses or CIDR networks (`10.0.0.0/8, ::1`) of your reverse '
        "proxies. Only a request from one of them may name the client's address in "
        '`X-Forwarded-For` (and the scheme in `X-Forwarded-Proto`); see [Behind a reverse '
        'proxy](#behind-a-reverse-proxy).',
        shown='empty: trust no proxy headers')
    admin_session_hours: int = setting(
        "BRIEFING_ADMIN_SESSION_HOURS", 12, _int_between(1, 720),
        'Hours a sign-in to the admin web app lasts; then the person signs in again. Signing out '
        'ends the session on the server at once.')

    # Every BRIEFING_* value given, for the few readers of optional, free-form names.
    extra: Mapping[str, str] = field(default_factory=dict, repr=False)

    @cached_property
    def secret_key(self) -> str:
        """The key for signed links. Generated into the data dir the first time a command
        needs it (never when settings are merely loaded), so it survives restarts."""
        return self.configured_secret_key or _persistent_secret(self.data_dir)

    @property
    def outbox_dir(self) -> Path:
        return self.data_dir / "outbox"

    @property
    def metrics_folder(self) -> Path:
        """Where this installation's processes write their metrics (see briefing.core.metrics)."""
        return self.metrics_dir or self.data_dir / "metrics"

    @property
    def embedded(self) -> bool:
        """No broker: tasks run in the calling process."""
        return not self.broker_url


# Every variable the project reads, in the README's order (`tests/project/test_docs.py` and
# the cog block in README.md read it).
SETTINGS: tuple[Setting, ...] = tuple(
    f.metadata[_DOC] for f in fields(Settings) if _DOC in f.metadata)


def configuration_table() -> str:
    """The README's Configuration table, generated by cog from the declarations above."""
    rows = [f"| `{s.name}` | {s.default} | {s.help} |" for s in SETTINGS]
    return "\n".join(["| Variable | Default | Meaning |", "|---|---|---|", *rows]) + "\n"


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
    given: dict[str, Any] = {f.name: read.get(f.metadata[_DOC].name, f.metadata[_PARSE], f.default)
             for f in fields(Settings) if _DOC in f.metadata}
    if not given["database_url"]:
        given["database_url"] = f"sqlite:///{given['data_dir'] / 'briefing.db'}"
    return Settings(**given, extra={k: v for k, v in values.items() if k.startswith("BRIEFING_")})
