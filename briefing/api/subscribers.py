"""Subscribers of a list (/api/lists/{slug}/...) and one person (/api/subscribers/{email})."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from enum import StrEnum
from typing import IO, Annotated, Any, BinaryIO, TextIO, cast

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from briefing.api import errors
from briefing.api.lists import find_list
from briefing.api.schemas import (
    MAX_ID,
    ImportOut,
    PersonExport,
    SubscriberCreate,
    SubscriberOut,
    SubscriberPage,
    Text320,
)
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import ConsentSource, Subscriber, SubscriptionStatus
from briefing.mail.addresses import parse_address
from briefing.subscribers import subscriptions
from briefing.subscribers.frequency import Cadence
from briefing.subscribers.topics import topics_of
from briefing.subscribers.transfer import (
    erase_subscriber,
    export_csv,
    export_subscriber,
    import_csv,
)
from briefing.web.deps import DatabaseDep

router = APIRouter(tags=["subscribers"])

EmailPath = Annotated[str, Path(json_schema_extra={"format": "email"})]
CSV_TYPES = ("text/csv", "text/plain", "application/csv")
SPOOL_BYTES = 4 * 1024 * 1024  # an import or export past this goes to a temporary file
IMPORT_BODY: dict[str, Any] = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}},
    "multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}}}},
}}}


class ImportStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"


@router.get("/lists/{slug}/subscribers", response_model=SubscriberPage,
            responses=errors.responses(401, 404, 422))
def list_all(slug: str, db: DatabaseDep, status: SubscriptionStatus | None = None,
             search: Annotated[Text320 | None, Query(
                 description="Part of an email address or name.")] = None,
             limit: Annotated[int, Query(ge=1, le=500)] = 50,
             offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> SubscriberPage:
    """A list's subscribers, by email, one page at a time."""
    rows, total = subscriptions.list_subscribers(db, find_list(db, slug).slug, status=status,
                                                 search=search, limit=limit, offset=offset)
    items = [SubscriberOut.model_validate(row, from_attributes=True) for row in rows]
    return SubscriberPage(items=items, total=total, limit=limit, offset=offset)


@router.post("/lists/{slug}/subscribers", status_code=201, response_model=SubscriberOut,
             responses=errors.responses(400, 401, 404, 413, 422))
def add(slug: str, body: SubscriberCreate, db: DatabaseDep) -> SubscriberOut:
    """Add someone whose consent you vouch for (recorded with source `api`); idempotent.
    Someone who unsubscribed is refused (422): only their own sign-up brings them back."""
    row = subscriptions.add_subscriber(db, find_list(db, slug).slug, body.email, body.name,
                                       active=body.active, source=ConsentSource.API,
                                       timezone=body.timezone, frequency=body.frequency,
                                       topics=body.topics)
    person = _person(db, row.subscriber_id)
    return SubscriberOut(email=person.email, name=person.name, timezone=person.timezone,
                         frequency=str(Cadence(row.frequency, row.weekly_day)),
                         topics=topics_of(row.topics),
                         status=row.status,
                         consent_source=row.consent_source, consent_at=row.consent_at,
                         confirmed_at=row.confirmed_at, unsubscribed_at=row.unsubscribed_at)


def _person(db: Database, subscriber_id: int) -> Subscriber:
    with db.session() as session:
        person = session.get(Subscriber, subscriber_id)
    assert person is not None
    return person


@router.delete("/lists/{slug}/subscribers/{email:path}", status_code=204,
               response_class=Response, responses=errors.responses(401, 404, 422))
def remove(slug: str, email: EmailPath, db: DatabaseDep) -> Response:
    """Unsubscribe someone (kept as `unsubscribed`, so an import cannot bring them back)."""
    if not subscriptions.remove_subscriber(db, find_list(db, slug).slug, email):
        raise errors.not_found(f"a subscription of {email} to {slug}")
    return Response(status_code=204)


@router.post("/lists/{slug}/import", response_model=ImportOut, openapi_extra=IMPORT_BODY,
             responses=errors.responses(400, 401, 404, 413, 415, 422))
async def import_file(slug: str, request: Request, db: DatabaseDep,
                      status: ImportStatus = ImportStatus.ACTIVE) -> ImportOut:
    """Add a CSV file's rows (header with `email`; `name` and other columns optional), sent as
    a text/csv body or as the `file` field of a form. Bad rows are reported with their line
    numbers and the others imported. Files up to BRIEFING_MAX_IMPORT_BYTES are streamed to a
    temporary file, not held in memory."""
    mailing_list = await run_in_threadpool(find_list, db, slug)
    stream = await _upload(request)
    try:
        report = await run_in_threadpool(import_csv, db, mailing_list.id, stream,
                                         status=SubscriptionStatus(status))
    finally:
        stream.close()
    return ImportOut.model_validate(report, from_attributes=True)


async def _upload(request: Request) -> BinaryIO:
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind in CSV_TYPES:
        return await _spooled(request)
    if kind != "multipart/form-data":
        raise errors.ApiError(415, "send the CSV as text/csv or as the 'file' field of a "
                                   "multipart/form-data form")
    try:
        form = await request.form()
    except HTTPException as exc:
        raise errors.ApiError(400, f"the multipart body could not be read: {exc.detail}",
                              "malformed_body") from None
    upload = form.get("file")
    if isinstance(upload, UploadFile):
        await upload.seek(0)
        return upload.file  # Starlette already spooled it to disk past 1 MB
    if isinstance(upload, str):
        return io.BytesIO(upload.encode())
    raise errors.ApiError(422, "the form has no 'file' field")


async def _spooled(request: Request) -> BinaryIO:
    """The body in a temporary file: memory stays flat however large the import."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned)
    async for chunk in request.stream():
        spool.write(chunk)
    spool.seek(0)
    return cast(BinaryIO, spool)


@router.get("/lists/{slug}/export", response_class=StreamingResponse,
            responses={200: {"description": "The subscribers as CSV.",
                             "content": {"text/csv": {"schema": {"type": "string"}}}},
                       **errors.responses(401, 404, 422)})
def export(slug: str, db: DatabaseDep,
           status: SubscriptionStatus | None = None) -> StreamingResponse:
    """A list's subscribers as CSV (the same columns `import` reads back)."""
    mailing_list = find_list(db, slug)
    # Written out before the answer starts, so a database error is a clean 500, not a
    # truncated file that looks complete.
    spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed by _chunks once sent)
        max_size=SPOOL_BYTES, mode="w+", encoding="utf-8", newline="")
    try:
        export_csv(db, mailing_list.id, cast(TextIO, spool), status=status)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return StreamingResponse(_chunks(spool), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{mailing_list.slug}.csv"'})


def _chunks(spool: IO[str]) -> Iterator[str]:
    with spool:
        while chunk := spool.read(64 * 1024):
            yield chunk


def _key(email: str) -> str:
    return parse_address(email).email  # an invalid address is a 422, not a 404


@router.get("/subscribers/{email:path}", response_model=PersonExport,
            responses=errors.responses(401, 404, 422))
def export_person(email: EmailPath, db: DatabaseDep) -> PersonExport:
    """Everything stored about one person, with each list they are or were on."""
    address = _key(email)
    try:
        return PersonExport.model_validate(export_subscriber(db, address))
    except InputError:
        raise errors.not_found(f"subscriber {address}") from None


@router.delete("/subscribers/{email:path}", status_code=204, response_class=Response,
               responses=errors.responses(401, 404, 422))
def erase(email: EmailPath, db: DatabaseDep) -> Response:
    """Delete a person and all their subscriptions for good (right to erasure)."""
    address = _key(email)
    if not erase_subscriber(db, address):
        raise errors.not_found(f"subscriber {address}")
    return Response(status_code=204)
