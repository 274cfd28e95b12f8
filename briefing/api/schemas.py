"""Request and response bodies. Responses are declared so the OpenAPI schema is checkable."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator

from briefing.core.config import SUMMARY_ALGORITHMS
from briefing.core.models import ArticleStatus, ConsentSource, RequestStatus, SubscriptionStatus
from briefing.mail.addresses import person_name

MAX_ID = 2**31 - 1  # the id columns are 32-bit on PostgreSQL
# Every boolean in a request body is a StrictBool: JSON true or false, nothing else.
# Pydantic's lax mode reads 0, 1, "no" and "false" as booleans, so `"dry_run": 0` once
# sent a real edition.


def _storable(value: str) -> str:
    # PostgreSQL refuses NUL in text and no database stores lone surrogates: refuse them
    # here, as bad input, rather than as a database error after the fact.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no lone surrogates)") from None
    return value


def _algorithm(value: str) -> str:
    if value not in SUMMARY_ALGORITHMS:
        raise ValueError("must be one of " + ", ".join(SUMMARY_ALGORITHMS))
    return value


Text = Annotated[str, AfterValidator(_storable)]
Url = Annotated[str, Field(min_length=1, max_length=2048), AfterValidator(_storable)]
Title = Annotated[str, Field(max_length=500), AfterValidator(_storable)]
Tag = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_storable)]
EditedTitle = Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_storable)]
SummarySentence = Annotated[str, Field(min_length=1, max_length=2000),
                            AfterValidator(_storable)]
Algorithm = Annotated[str, Field(json_schema_extra={"enum": list(SUMMARY_ALGORITHMS)}),
                      AfterValidator(_algorithm)]


def _exactly_one(model: BaseModel, fields: tuple[str, ...]) -> None:
    given = [name for name in fields if getattr(model, name) is not None]
    if len(given) != 1:
        raise ValueError(f"give exactly one of {', '.join(fields)} (got {len(given)})")


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ArticleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text | None = None
    url: Url | None = None
    html: Text | None = None
    title: Title | None = None
    markdown: StrictBool = Field(False, description="Treat `text` as Markdown.")
    tags: list[Tag] = Field([], max_length=20,
                            description="Tags for lists that choose articles by tag.")

    @model_validator(mode="after")
    def _one_source(self) -> ArticleCreate:
        _exactly_one(self, ("text", "url", "html"))
        return self


class ArticleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    url: str | None
    source: str | None
    author: str | None
    published_at: datetime | None
    language: str | None
    status: ArticleStatus
    summary: list[str] | None
    summary_algorithm: str | None
    summary_params: dict[str, Any] | None
    summarized_at: datetime | None
    error: str | None
    created_at: datetime
    updated_at: datetime
    summary_edited_at: datetime | None = Field(
        None, description="When the summary was corrected by hand (no re-summarize replaces "
                          "it); null for a generated summary.")
    declared_language: str | None = Field(
        None, description="The language the page or feed declared, if any.")
    language_source: str | None = Field(
        None, description="Where `language` (ISO 639-1) came from: declared, detected or "
                          "fallback (BRIEFING_SUMMARY_LANGUAGE).")
    tags: list[str] = Field([], description="From its feed, the feed entry and on ingest.")
    story_id: int | None = Field(None, description="The story (news event) it belongs to.")


class ArticleDetail(ArticleOut):
    text: str


class ArticleCreated(ArticleOut):
    created: bool
    duplicate_of: int | None = None
    duplicate_reason: Literal["same URL", "same text"] | None = None


class ArticlePatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: EditedTitle | None = None
    summary: list[SummarySentence] | None = Field(
        None, min_length=1, max_length=50,
        description="The summary's sentences, kept as given and never replaced by a "
                    "re-summarize. `null` drops a hand-edited summary and summarizes the "
                    "article again.")

    @model_validator(mode="after")
    def _something(self) -> ArticlePatch:
        if not self.model_fields_set:
            raise ValueError("give title, summary or both")
        if "title" in self.model_fields_set and self.title is None:
            raise ValueError("title cannot be null")
        return self

    @property
    def restore_summary(self) -> bool:
        return "summary" in self.model_fields_set and self.summary is None


class ArticlePage(BaseModel):
    items: list[ArticleOut]
    total: int
    limit: int
    offset: int


class SummaryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Text | None = None
    url: Url | None = None
    article_id: int | None = Field(None, ge=1, le=MAX_ID)
    algorithm: Algorithm | None = None
    sentences: int | None = Field(None, ge=1, le=50)
    ratio: float | None = Field(None, gt=0, le=1)
    title: Title | None = None

    @model_validator(mode="after")
    def _one_source(self) -> SummaryCreate:
        _exactly_one(self, ("text", "url", "article_id"))
        if self.sentences is not None and self.ratio is not None:
            raise ValueError("give either sentences or ratio, not both")
        return self


class SummaryAccepted(BaseModel):
    id: str
    status: RequestStatus
    url: str


class SummaryOut(BaseModel):
    id: str
    status: RequestStatus
    summary: list[str] | None
    error: str | None
    algorithm: str
    sentences: int | None
    ratio: float | None
    created_at: datetime
    finished_at: datetime | None
    language: str | None = Field(None, description="The language summarized in (ISO 639-1).")


class FeedCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url
    tags: list[Tag] = Field([], max_length=20,
                            description="Every article from the feed carries these tags.")


class FeedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    title: str | None
    last_polled_at: datetime | None
    last_error: str | None
    error_count: int
    created_at: datetime
    tags: list[str]


class FeedPollOut(BaseModel):
    feed: FeedOut
    not_modified: bool = Field(description="The feed had not changed since the last poll.")
    new_article_ids: list[int]
    duplicates: int
    errors: list[str] = Field(description="Entries not stored, each `URL: reason`.")
    failed: str | None = Field(description="Why the feed itself could not be polled.")
    deferred: int = Field(description="New entries left for the next poll.")


class Health(BaseModel):
    status: Literal["ok"]
    database: str
    broker: str
    scheduler: str = Field(description=(
        "ok, or `not started` while no scheduler has ever run against this database. "
        "A scheduler silent for 3 × BRIEFING_TICK_SECONDS makes the check 503."))


# ---------------------------------------------------------------- lists and subscribers

Slug = Annotated[str, Field(min_length=1, max_length=64,
                            pattern=r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")]
# `format: email` documents the field (and guides generated tests); the core validates.
Email = Annotated[str, Field(min_length=1, max_length=320, json_schema_extra={"format": "email"}),
                  AfterValidator(_storable)]
# The core's rule (briefing.mail.addresses.person_name) decides: it counts after collapsing
# whitespace, so the raw cap here only keeps absurd bodies out and documents the field.
PersonName = Annotated[str, Field(max_length=1000), AfterValidator(_storable),
                       AfterValidator(person_name)]


Text200 = Annotated[str, Field(max_length=200), AfterValidator(_storable)]
Text320 = Annotated[str, Field(max_length=320), AfterValidator(_storable)]
Text500 = Annotated[str, Field(max_length=500), AfterValidator(_storable)]
Text2000 = Annotated[str, Field(max_length=2000), AfterValidator(_storable)]
ShortText = Annotated[str, Field(max_length=64), AfterValidator(_storable)]


Keywords = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_storable)]


class ListRulesIn(BaseModel):
    """Which articles a list takes. In a PATCH each part given replaces that part; an empty
    list (or "" for the language) clears it. No rule at all: every article."""

    model_config = ConfigDict(extra="forbid")

    feeds: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(
        None, max_length=200, description="Articles from these feeds (or with the tags).")
    tags: list[Tag] | None = Field(None, max_length=20,
                                   description="Articles with any of these tags.")
    include: list[Keywords] | None = Field(
        None, max_length=50, description='Any of these words or "quoted phrases" must occur.')
    exclude: list[Keywords] | None = Field(
        None, max_length=50, description='None of these words or "quoted phrases" may occur.')
    language: ShortText | None = Field(None, description="ISO 639-1; \"\" for any.")
    weights: dict[Text200, Annotated[float, Field(ge=0, le=10)]] | None = Field(
        None, max_length=200, description="Outlet name → ranking weight (default 1).")
    clear: StrictBool = Field(False, description="Drop the stored rules before applying these.")


class ListFields(BaseModel):
    """Settings of a list; in a PATCH, a field left out (or null) stays as it is."""

    model_config = ConfigDict(extra="forbid")

    name: Text200 | None = None
    description: Text2000 | None = None
    from_name: Text200 | None = None
    from_address: Text320 | None = None
    reply_to: Text320 | None = Field(None, description="Empty string: no Reply-To.")
    send_time: ShortText | None = Field(None, description="HH:MM, the list's local time.")
    timezone: ShortText | None = Field(None, description="IANA name, e.g. Europe/Berlin.")
    max_articles: int | None = Field(None, ge=1, le=100)
    summary_sentences: int | None = Field(None, ge=1, le=20)
    postal_address: Text500 | None = None
    locale: ShortText | None = Field(None, description="The email's own words and dates: "
                                                       "en, de, fr, …")
    reader_time: StrictBool | None = Field(
        None, description="Send at `send_time` in each reader's own time zone.")
    rules: ListRulesIn | None = None


class ListCreate(ListFields):
    slug: Slug
    name: Text200
    from_address: Text320


class DeliveryCounts(BaseModel):
    """An edition's deliveries by status; `skipped` readers left before it reached them."""

    queued: int
    sending: int
    sent: int
    skipped: int
    failed: int
    bounced: int


class SubscriberCounts(BaseModel):
    pending: int
    active: int
    unsubscribed: int
    bounced: int
    complained: int


class ListOut(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    from_name: str
    from_address: str
    reply_to: str | None
    send_time: str = Field(description="HH:MM, the list's local time.")
    timezone: str
    max_articles: int
    summary_sentences: int
    postal_address: str
    locale: str
    reader_time: bool
    rules: dict[str, Any] = Field(description="Feeds, tags, include, exclude, language, "
                                              "weights; {} takes every article.")
    subscribers: SubscriberCounts
    created_at: datetime
    updated_at: datetime


class StoryArticleOut(BaseModel):
    id: int
    title: str
    source: str | None
    url: str | None
    published_at: datetime | None


class StoryOut(BaseModel):
    rank: int
    story: int | None = Field(description="The story's id; null for an article not grouped "
                                          "yet.")
    title: str
    score: float = Field(description="Outlets (weighed by the list) × 2^(−age / 24 h).")
    outlets: int
    update: bool = Field(description="Sent in an earlier edition; back with new articles.")
    top: bool = Field(description="Among the edition's top stories.")
    articles: list[StoryArticleOut] = Field(description="One per outlet, the lead first.")


class StoriesOut(BaseModel):
    slug: str
    since: datetime
    cutoff: datetime
    stories: list[StoryOut]


class SubscriberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    name: PersonName | None = None
    active: StrictBool = Field(True, description="False: added as pending (no email is sent).")
    timezone: ShortText | None = Field(
        None, description='The reader\'s IANA time zone ("Asia/Tokyo"), for lists sent at '
                          'each reader\'s local time; "" clears it.')
    frequency: Annotated[str, Field(
        max_length=20, pattern=r"^(daily|weekdays|weekly(:[a-z]{3,9})?)$")] | None = Field(
        None, description="How often they get the list: daily (default), weekdays, or "
                          "weekly:<day> (weekly:friday; weekly alone is Monday), the week's "
                          "top stories.")
    topics: list[Tag] | None = Field(
        None, max_length=20, description="Some of the list's topics (its tags): they get "
                                         "only stories about these; [] for everything.")


class SubscriberOut(BaseModel):
    email: str
    name: str
    timezone: str | None = None
    frequency: str = "daily"
    topics: list[str] = []
    status: SubscriptionStatus
    consent_source: ConsentSource
    consent_at: datetime | None
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None


class SubscriberPage(BaseModel):
    items: list[SubscriberOut]
    total: int
    limit: int
    offset: int


class RejectedRowOut(BaseModel):
    line: int
    reason: str


class ImportOut(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    duplicates: int
    rejected_count: int
    rejected: list[RejectedRowOut]


class PersonListRef(BaseModel):
    slug: str
    name: str


class PersonSubscription(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    list_: PersonListRef = Field(alias="list")
    status: str
    consent_source: str
    consent_at: str | None
    consent_ip: str | None
    confirmation_sent_at: str | None
    confirmations_sent: int
    confirmed_at: str | None
    unsubscribed_at: str | None
    created_at: str | None
    updated_at: str | None


class PersonExport(BaseModel):
    """Everything stored about one person (for a data-subject access request)."""

    email: str
    name: str
    attributes: dict[str, Any]
    bounce_count: int
    created_at: str | None
    updated_at: str | None
    subscriptions: list[PersonSubscription]


class PublicSubscribe(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    slug: Annotated[str, Field(alias="list", min_length=1, max_length=64,
                               description="The list's slug."), AfterValidator(_storable)]
    email: Email
    name: PersonName | None = None


class SubscribeAccepted(BaseModel):
    status: Literal["accepted"]
    message: str
