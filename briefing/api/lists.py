"""/api/lists: create, show, change and delete subscriber lists."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select

from briefing.api import errors
from briefing.api.schemas import (
    ListCreate,
    ListFields,
    ListOut,
    StoriesOut,
    StoryOut,
    SubscriberCounts,
)
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import MailingList
from briefing.editions.service import todays_stories
from briefing.subscribers import lists
from briefing.subscribers.list_rules import RulesChange
from briefing.subscribers.lists import SLUG, ListChanges, ListNotFound
from briefing.web.deps import DatabaseDep

router = APIRouter(prefix="/lists", tags=["lists"])


def find_list(db: Database, slug: str) -> MailingList:
    """The list with this slug. Not `lists.get_list`: it reads an all-digit key as an id,
    and a URL that names a slug must never reach another list by its id."""
    if SLUG.match(slug):
        with db.session() as session:
            row = session.scalar(select(MailingList).where(MailingList.slug == slug))
        if row is not None:
            return row
    raise ListNotFound(slug)


async def list_not_found(_: Request, exc: Exception) -> JSONResponse:
    return errors.error_response(404, str(exc))


def _out(db: Database, row: MailingList) -> ListOut:
    counts = SubscriberCounts(**lists.subscriber_counts(db, row.id))
    return ListOut(id=row.id, slug=row.slug, name=row.name, description=row.description,
                   from_name=row.from_name, from_address=row.from_address,
                   reply_to=row.reply_to, send_time=row.send_time.strftime("%H:%M"),
                   timezone=row.timezone, max_articles=row.max_articles,
                   summary_sentences=row.summary_sentences, postal_address=row.postal_address,
                   locale=row.locale, rules=row.rules or {}, subscribers=counts,
                   created_at=row.created_at, updated_at=row.updated_at)


def _changes(body: ListFields) -> ListChanges:
    fields = body.model_dump(include=set(ListFields.model_fields) - {"rules"})
    rules = body.rules.model_dump() if body.rules is not None else None
    return ListChanges(**fields, rules=RulesChange(**rules) if rules else None)


@router.get("", response_model=list[ListOut], responses=errors.responses(401))
def list_all(db: DatabaseDep) -> list[ListOut]:
    """Every list, by slug, with its subscriber counts per status."""
    return [_out(db, row) for row in lists.all_lists(db)]


@router.post("", status_code=201, response_model=ListOut,
             responses=errors.responses(400, 401, 409, 413, 422))
def create(body: ListCreate, db: DatabaseDep, response: Response) -> ListOut:
    """A new list; `name` and `from_address` are required, the rest has defaults."""
    if _slug_taken(db, body.slug):
        raise errors.ApiError(409, f"a list with slug {body.slug!r} already exists")
    row = lists.create_list(db, body.slug, _changes(body))
    response.headers["Location"] = f"/api/lists/{row.slug}"
    return _out(db, row)


def _slug_taken(db: Database, slug: str) -> bool:
    try:
        find_list(db, slug)
    except ListNotFound:
        return False
    return True


@router.get("/{slug}", response_model=ListOut, responses=errors.responses(401, 404))
def read(slug: str, db: DatabaseDep) -> ListOut:
    return _out(db, find_list(db, slug))


@router.get("/{slug}/stories", response_model=StoriesOut, responses=errors.responses(401, 404))
def stories(slug: str, db: DatabaseDep) -> StoriesOut:
    """What today's edition would group and rank (score = outlets weighed × freshness, see
    the README); nothing is sent or stored but the stories' grouping."""
    since, cutoff, lines = todays_stories(db, find_list(db, slug).slug)
    return StoriesOut(slug=slug, since=since, cutoff=cutoff,
                      stories=[StoryOut.model_validate(asdict(line)) for line in lines])


@router.patch("/{slug}", response_model=ListOut,
              responses=errors.responses(400, 401, 404, 413, 422))
def change(slug: str, body: ListFields, db: DatabaseDep) -> ListOut:
    """Change the fields given; the slug stays (links in sent emails name it)."""
    row = lists.update_list(db, find_list(db, slug).id, _changes(body))
    return _out(db, row)


@router.delete("/{slug}", status_code=204, response_class=Response,
               responses=errors.responses(401, 404, 409))
def delete(slug: str, db: DatabaseDep,
           force: Annotated[bool, Query(description=(
               "Delete even when the list has sent editions (its archive goes too)."))] = False
           ) -> Response:
    """Delete a list and its subscriptions; its subscribers stay (they may be on others)."""
    row = find_list(db, slug)
    try:
        lists.delete_list(db, row.id, force=force)
    except ListNotFound:
        raise
    except InputError as exc:  # the core refusing, e.g. a list with editions and no force
        raise errors.ApiError(409, str(exc)) from None
    return Response(status_code=204)
