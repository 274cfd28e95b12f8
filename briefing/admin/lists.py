"""/admin/lists: every list with its readers by status; create one; change every setting."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from briefing.accounts.roles import Area
from briefing.admin.list_sources import chosen_feeds, rule_values, rules_change
from briefing.admin.pages import check_form, not_found, render, see_other
from briefing.admin.session import PATH, Viewer, ViewerDep, require
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import MailingList
from briefing.core.zones import zone_names
from briefing.ingest.feeds import list_feeds
from briefing.subscribers import lists
from briefing.subscribers.import_jobs import recent_jobs
from briefing.subscribers.lists import SLUG, ListChanges, ListNotFound

router = APIRouter(prefix=f"{PATH}/lists", include_in_schema=False)
TEXT_FIELDS = ("name", "description", "from_name", "from_address", "reply_to", "send_time",
               "timezone", "postal_address")
NUMBER_FIELDS = {"max_articles": (1, 100), "summary_sentences": (1, 20)}


def load_list(db: Database, slug: str) -> MailingList:
    """By slug only (a string key never reaches a list by its id)."""
    try:
        if not SLUG.match(slug):
            raise ListNotFound(slug)
        return lists.get_list(db, slug)
    except ListNotFound:
        raise not_found("such list") from None


def list_values(row: MailingList | None) -> dict[str, str]:
    if row is None:
        return {**dict.fromkeys(TEXT_FIELDS, ""), "slug": "", "send_time": "07:00",
                "timezone": "UTC", "max_articles": "10", "summary_sentences": "3",
                **rule_values(None)}
    values = {name: str(getattr(row, name) or "") for name in TEXT_FIELDS}
    values.update(send_time=f"{row.send_time:%H:%M}", max_articles=str(row.max_articles),
                  summary_sentences=str(row.summary_sentences), **rule_values(row))
    return values


def list_page(request: Request, viewer: Viewer, row: MailingList | None, values: dict[str, str],
               errors: dict[str, str], status: int = 200, notice: str = "",
               chosen: set[int] | None = None) -> HTMLResponse:
    db = request.app.state.db
    counts = lists.subscriber_counts(db, row.id) if row else {}
    return render(request, "list.html", viewer, status=status,
                  title=row.name if row else "New list", row=row, values=values,
                  errors=errors, counts=counts, zones=zone_names(), notice=notice,
                  imports=recent_jobs(db, row.id) if row else [], feeds=list_feeds(db),
                  chosen=chosen_feeds(row) if chosen is None else chosen)


@router.get("", response_class=HTMLResponse)
def index(request: Request, viewer: ViewerDep) -> HTMLResponse:
    db = request.app.state.db
    rows = [(row, lists.subscriber_counts(db, row.id)) for row in lists.all_lists(db)]
    return render(request, "lists.html", viewer, title="Lists", rows=rows)


@router.get("/new", response_class=HTMLResponse)
def new(request: Request, viewer: ViewerDep) -> HTMLResponse:
    require(viewer, Area.LISTS)
    return list_page(request, viewer, None, list_values(None), {})


def _changes(values: dict[str, str], errors: dict[str, str], feed_ids: list[str]
             ) -> ListChanges:
    numbers: dict[str, int | None] = {}
    for name, (low, high) in NUMBER_FIELDS.items():
        raw = values.get(name, "").strip()
        if not raw.isdigit() or not low <= int(raw) <= high:
            errors[name] = f"A whole number from {low} to {high}."
            numbers[name] = None
        else:
            numbers[name] = int(raw)
    texts = {name: values.get(name, "") for name in TEXT_FIELDS}
    changes = ListChanges(**texts, **numbers,  # type: ignore[arg-type]
                          locale=values.get("locale", "").strip() or "en",
                          rules=rules_change(values, feed_ids, errors))
    for name, problem in lists.problems(changes).items():
        errors.setdefault(name, problem[:1].upper() + problem[1:] + ".")
    return changes


def _required(values: dict[str, str], errors: dict[str, str]) -> None:
    for name, label in (("name", "A list needs a name."),
                        ("from_address", "A list needs a from address.")):
        if not values.get(name, "").strip():
            errors.setdefault(name, label)


class ListForm(BaseModel):
    """The list form as posted: every field a string, checked by the core."""

    slug: str = ""  # on creation only: links in sent mail name it
    name: str = ""
    description: str = ""
    from_name: str = ""
    from_address: str = ""
    reply_to: str = ""
    send_time: str = ""
    timezone: str = ""
    max_articles: str = ""
    summary_sentences: str = ""
    postal_address: str = ""
    locale: str = ""
    feeds: list[str] = []
    tags: str = ""
    include: str = ""
    exclude: str = ""
    language: str = ""
    weights: str = ""
    csrf_token: str = ""

    def values(self) -> dict[str, str]:
        return self.model_dump(exclude={"csrf_token", "slug", "feeds"})

    def feed_ids(self) -> set[int]:
        return {int(i) for i in self.feeds if i.strip().isdigit()}


Posted = Annotated[ListForm, Form()]


@router.post("", response_class=HTMLResponse)
def create(request: Request, viewer: ViewerDep, form: Posted) -> Response:
    check_form(request, form.csrf_token)
    require(viewer, Area.LISTS)
    values = form.values()
    values["slug"] = form.slug.strip()
    errors: dict[str, str] = {}
    if not SLUG.match(values["slug"]):
        errors["slug"] = "Lower-case letters, digits and dashes, such as morning-news."
    _required(values, errors)
    changes = _changes(values, errors, form.feeds)
    db = request.app.state.db
    if not errors:
        try:
            lists.create_list(db, values["slug"], changes)
        except InputError as exc:
            errors["slug"] = str(exc)[:1].upper() + str(exc)[1:] + "."
    if errors:
        return list_page(request, viewer, None, values, errors, status=400,
                         chosen=form.feed_ids())
    return see_other(f"{PATH}/lists/{values['slug']}?created=1")


@router.get("/{slug}", response_class=HTMLResponse)
def show(slug: str, request: Request, viewer: ViewerDep, created: str = "",
         saved: str = "") -> HTMLResponse:
    row = load_list(request.app.state.db, slug)
    notice = "The list was created." if created else ("Saved." if saved else "")
    return list_page(request, viewer, row, list_values(row), {}, notice=notice)


@router.post("/{slug}", response_class=HTMLResponse)
def update(slug: str, request: Request, viewer: ViewerDep, form: Posted) -> Response:
    check_form(request, form.csrf_token)
    require(viewer, Area.LISTS)
    db = request.app.state.db
    row = load_list(db, slug)
    values = form.values()
    errors: dict[str, str] = {}
    _required(values, errors)
    changes = _changes(values, errors, form.feeds)
    if not errors:
        try:
            lists.update_list(db, row.id, changes)
        except InputError as exc:  # a feed removed meanwhile
            errors["feeds"] = str(exc)[:1].upper() + str(exc)[1:] + "."
    if errors:
        return list_page(request, viewer, row, values, errors, status=400,
                         chosen=form.feed_ids())
    return see_other(f"{PATH}/lists/{row.slug}?saved=1")

