"""Tables. Stages read the previous stage's rows by id and write their own."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from briefing.core.clock import as_utc, utcnow


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite would hand back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


def _str_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    # Stored as plain VARCHAR on every backend (SQLAlchemy 2 adds no CHECK unless asked):
    # Python validates the values, and adding a state later needs no DDL, only a migration
    # for the rows a downgrade would not understand.
    return Enum(
        enum_class, name=name, native_enum=False, length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class ArticleStatus(enum.StrEnum):
    NEW = "new"
    SUMMARIZING = "summarizing"
    SUMMARIZED = "summarized"
    FAILED = "failed"


class RequestStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class Feed(Base):
    __tablename__ = "feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    url_hash: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(String(500))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_polled_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Every article from this feed carries these tags (lists choose their sources by tag).
    tags: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")


class Story(Base):
    """One news event, however many outlets report it: articles point at their story.

    Only the id matters to the database; what a story says is computed from its articles."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        Index("ix_articles_status_updated", "status", "updated_at"),
        Index("ix_articles_summarized_at", "summarized_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    url: Mapped[str | None] = mapped_column(String(2048))
    # Hashes carry the uniqueness: a unique index on a 2 KB URL or a whole text would be large.
    url_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str | None] = mapped_column(String(200))
    author: Mapped[str | None] = mapped_column(String(300))
    published_at: Mapped[datetime | None]
    language: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("feeds.id", ondelete="SET NULL"))
    status: Mapped[ArticleStatus] = mapped_column(
        _str_enum(ArticleStatus, "article_status"), default=ArticleStatus.NEW)
    summary: Mapped[list[str] | None] = mapped_column(JSON)
    summary_algorithm: Mapped[str | None] = mapped_column(String(20))
    summary_params: Mapped[dict[str, Any] | None]
    summarized_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Set when someone corrected the summary by hand: no re-summarize replaces it.
    summary_edited_at: Mapped[datetime | None]
    # `language` is the article's language (ISO 639-1) as summarizing decided it; what the page
    # or feed said is kept apart, and `language_source` says which won: "declared",
    # "detected" or "fallback" (see briefing/text/language.py).
    declared_language: Mapped[str | None] = mapped_column(String(20))
    language_source: Mapped[str | None] = mapped_column(String(16))
    # Folded tags: the feed's, the feed entry's categories and those given on ingest.
    tags: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    # The event it reports, once grouping has placed it (briefing/editions/storyline.py).
    story_id: Mapped[int | None] = mapped_column(
        ForeignKey("stories.id", ondelete="SET NULL"), index=True)


class SummaryRequest(Base):
    """An on-demand summary asked for over HTTP; the row, not the broker, holds the result."""

    __tablename__ = "summary_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[RequestStatus] = mapped_column(
        _str_enum(RequestStatus, "request_status"), default=RequestStatus.PENDING)
    text: Mapped[str | None] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(2048))
    article_id: Mapped[int | None] = mapped_column(
        ForeignKey("articles.id", ondelete="SET NULL"))
    algorithm: Mapped[str] = mapped_column(String(20))
    sentences: Mapped[int | None] = mapped_column(Integer)
    ratio: Mapped[float | None]
    title: Mapped[str | None] = mapped_column(String(500))
    result: Mapped[list[str] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # What the fetched page declared while pending; the language summarized in once done.
    language: Mapped[str | None] = mapped_column(String(20))


class SubscriptionStatus(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINED = "complained"


class Frequency(enum.StrEnum):
    """How often a subscription wants its list's edition."""

    DAILY = "daily"
    WEEKDAYS = "weekdays"  # Monday to Friday, by the edition's local date


class ConsentSource(enum.StrEnum):
    FORM = "form"
    IMPORT = "import"
    API = "api"
    ADMIN = "admin"
    PREFERENCES = "preferences"  # re-joined from the preferences page their email links to


class MailingList(Base):
    """A list readers subscribe to; it gets one briefing a day at its local send time."""

    __tablename__ = "lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    from_name: Mapped[str] = mapped_column(String(200))
    from_address: Mapped[str] = mapped_column(String(320))
    reply_to: Mapped[str | None] = mapped_column(String(320))
    send_time: Mapped[time] = mapped_column(Time, default=time(7, 0))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    max_articles: Mapped[int] = mapped_column(Integer, default=10)
    summary_sentences: Mapped[int] = mapped_column(Integer, default=3)
    postal_address: Mapped[str] = mapped_column(Text, default="")
    # Why sending is stopped for this list (an edition's bounce or complaint rate passed its
    # guard rail); None while it sends. `briefing editions resume` clears it.
    sending_paused: Mapped[str | None] = mapped_column(Text)
    # Which articles the list takes (briefing/text/rules.py; None or {}: every article) and
    # how much each outlet weighs in the ranking: {"feeds": [1], "tags": ["politics"],
    # "include": ["vote"], "exclude": [], "language": "de", "weights": {"Reuters": 2.0}}.
    rules: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # The language of the email's own words and dates (Babel locale identifier).
    locale: Mapped[str] = mapped_column(String(20), default="en", server_default="en")
    # True: each reader gets the edition at `send_time` in their own time zone (readers
    # without one: the list's); the edition is still composed and rendered once.
    reader_time: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Subscriber(Base):
    """One person, on any number of lists. `email_key` makes addresses unique whatever
    their case; `email` keeps the address as the person typed it (normalized)."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    bounce_count: Mapped[int] = mapped_column(Integer, default=0)
    # Temporary bounces reported after the session (briefing.feedback), counted with decay.
    soft_bounces: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_soft_bounce_at: Mapped[datetime | None]
    # The reader's IANA time zone, for lists that send at each reader's local time.
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Subscription(Base):
    """A subscriber on a list, with the consent that put them there."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("list_id", "subscriber_id", name="uq_subscription_list_subscriber"),
        Index("ix_subscriptions_list_status", "list_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    status: Mapped[SubscriptionStatus] = mapped_column(
        _str_enum(SubscriptionStatus, "subscription_status"),
        default=SubscriptionStatus.PENDING)
    consent_source: Mapped[ConsentSource] = mapped_column(
        _str_enum(ConsentSource, "consent_source"))
    consent_at: Mapped[datetime] = mapped_column(default=utcnow)
    consent_ip: Mapped[str | None] = mapped_column(String(45))
    # A fresh nonce per confirmation email: an old link cannot re-activate someone who left.
    confirm_nonce: Mapped[str | None] = mapped_column(String(32))
    # Set when a nonce is issued (and counted, for the rate limit), before anything is mailed.
    confirmation_sent_at: Mapped[datetime | None]
    confirmations_sent: Mapped[int] = mapped_column(Integer, default=0)
    # Set once the mailer accepted the email for the current nonce: a confirmation issued but
    # never mailed (the broker was down, the message was lost) is what the sweep looks for.
    confirmation_mailed_at: Mapped[datetime | None]
    confirmed_at: Mapped[datetime | None]
    unsubscribed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The name typed at sign-up, by someone who has not yet shown they own the address: kept
    # here, never mailed, and offered on the confirmation page; cleared when confirmed.
    signup_name: Mapped[str | None] = mapped_column(String(100))
    # Likewise the browser's time zone at sign-up: it becomes the person's own zone at
    # confirmation, and only if they have none yet.
    signup_timezone: Mapped[str | None] = mapped_column(String(64))
    frequency: Mapped[Frequency] = mapped_column(
        _str_enum(Frequency, "frequency"), default=Frequency.DAILY, server_default="daily")


class EditionStatus(enum.StrEnum):
    BUILDING = "building"   # created by the scheduler; articles not yet gathered
    SENDING = "sending"     # rendered, deliveries queued
    SENT = "sent"           # every delivery reached a final state
    EMPTY = "empty"         # no news that day: nothing sent


class DeliveryStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    SKIPPED = "skipped"  # final: the reader left after the edition was queued
    FAILED = "failed"
    BOUNCED = "bounced"


class Edition(Base):
    """One list's briefing for one local date: composed and rendered once, sent to many."""

    __tablename__ = "editions"
    __table_args__ = (
        UniqueConstraint("list_id", "edition_date", name="uq_edition_list_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"))
    edition_date: Mapped[date] = mapped_column(Date)
    status: Mapped[EditionStatus] = mapped_column(
        _str_enum(EditionStatus, "edition_status"), default=EditionStatus.BUILDING)
    since: Mapped[datetime | None]   # articles summarized after this …
    cutoff: Mapped[datetime | None]  # … and up to this
    article_ids: Mapped[list[int] | None] = mapped_column(JSON)
    # The stories shown, so the next edition does not repeat one without news.
    story_ids: Mapped[list[int] | None] = mapped_column(JSON)
    subject: Mapped[str | None] = mapped_column(String(500))
    html: Mapped[str | None] = mapped_column(Text)
    text: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)  # e.g. why nothing was sent
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sent_at: Mapped[datetime | None]


class Delivery(Base):
    """One reader's copy of one edition; the unique pair is what makes a send exactly-once."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("edition_id", "subscriber_id", name="uq_delivery_edition_subscriber"),
        # Ends with id: claims take the next queued rows in id order (see migration 0018).
        Index("ix_deliveries_edition_status", "edition_id", "status", "id"),
        Index("ix_deliveries_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    edition_id: Mapped[int] = mapped_column(ForeignKey("editions.id", ondelete="CASCADE"))
    subscriber_id: Mapped[int] = mapped_column(
        ForeignKey("subscribers.id", ondelete="CASCADE"), index=True)
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[DeliveryStatus] = mapped_column(
        _str_enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Times this reader was the one refused when the server said "slow down" (see
    # briefing.delivery.throttling): such refusals spend no attempt, but a reader drawing them again
    # and again gets a second opinion from the reader after it.
    throttled: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_reply: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)  # next try, after a backoff
    claimed_at: Mapped[datetime | None]
    claim: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SendPacing(Base):
    """The next free moment to send through one SMTP account, and whether the account is
    paused because its server throttled us (see briefing.delivery.pacing)."""

    __tablename__ = "send_pacing"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)  # host:port:user
    next_at: Mapped[float] = mapped_column(Float)  # Unix time
    # The server told us to slow down: nobody sends through the account before this moment.
    paused_until: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    pauses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # in a row
    pause_reply: Mapped[str] = mapped_column(String(500), default="", server_default="")


class Heartbeat(Base):
    """When each periodic job of the scheduler last ran (and when a scheduler last started):
    a scheduler that died shows up as a heartbeat growing old (see briefing.operations.status)."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)  # heartbeats.Beat
    at: Mapped[datetime]
    host: Mapped[str] = mapped_column(String(255), default="")  # who recorded it: host:pid
    detail: Mapped[dict[str, Any] | None]  # what the run did, e.g. counts


class AdminRole(enum.StrEnum):
    """What a person running the briefing may do (see briefing.accounts.roles)."""

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


class AdminUser(Base):
    """Someone who signs in to the admin web app or holds a personal API token."""

    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), unique=True)
    role: Mapped[AdminRole] = mapped_column(_str_enum(AdminRole, "admin_role"))
    password_hash: Mapped[str] = mapped_column(String(200))  # Argon2id, PHC string
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AdminSession(Base):
    """A signed-in browser. Only a hash of its token is stored: a copy of the database
    cannot be turned into working cookies. Deleting the row signs the browser out."""

    __tablename__ = "admin_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("admin_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ApiToken(Base):
    """A named, revocable bearer token of one admin user; shown once, stored hashed."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("admin_users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # lets a person tell their tokens apart
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SignInFailure(Base):
    """Failed sign-ins counted per account and per client address, in the database so that
    every API process sees the same count."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)  # "account:…" / "address:…"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_until: Mapped[datetime | None]


class ImportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ImportJob(Base):
    """A CSV import started from the admin: the file waits in `import_chunks` (in the
    database, so a worker on another machine can read it), progress and report live here."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("lists.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("admin_users.id", ondelete="SET NULL"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    as_pending: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ImportStatus] = mapped_column(
        _str_enum(ImportStatus, "import_status"), default=ImportStatus.QUEUED)
    size_bytes: Mapped[int] = mapped_column(Integer, default=0)
    rows_expected: Mapped[int] = mapped_column(Integer, default=0)  # lines, less the header
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]


class ImportChunk(Base):
    """One piece (up to 1 MB) of an uploaded CSV file, in order; deleted once imported."""

    __tablename__ = "import_chunks"

    job_id: Mapped[int] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class FeedbackReport(Base):
    """One bounce, complaint or auto-reply received after the SMTP session, kept so an
    operator can see why a reader was suppressed and undo it. `digest` (of the raw message
    or webhook event) makes a report that arrives twice count once."""

    __tablename__ = "feedback_reports"
    __table_args__ = (Index("ix_feedback_reports_received", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(40))        # receive, lmtp, imap, webhook:ses…
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))          # hard, soft, complaint, auto_reply…
    recipient: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(200), default="")
    diagnostic: Mapped[str] = mapped_column(Text, default="")
    matched_by: Mapped[str | None] = mapped_column(String(20))   # verp, message_id, None
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("deliveries.id", ondelete="SET NULL"), index=True)
    subscriber_id: Mapped[int | None] = mapped_column(
        ForeignKey("subscribers.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(40), default="none")
    # What the action changed, so `briefing bounces undo` can put it back:
    # {"subscriptions": {id: previous status}, "soft_bounces": previous count}.
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    undone_at: Mapped[datetime | None]
    raw: Mapped[bytes | None] = mapped_column(LargeBinary)  # dropped after the keep days
    note: Mapped[str] = mapped_column(Text, default="")
