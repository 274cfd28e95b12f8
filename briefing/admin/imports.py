"""/admin/lists/{slug}/import and /admin/imports/{id}: a CSV import runs as background work;
its page shows the progress (live with JavaScript, on reload without) and then the report
with every rejected row."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from briefing.accounts.roles import Area
from briefing.admin.lists import list_page, list_values, load_list
from briefing.admin.pages import check_form, not_found, render, see_other
from briefing.admin.session import PATH, Viewer, ViewerDep, require
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import ImportJob, ImportStatus, MailingList
from briefing.core.work import after_commit
from briefing.subscribers.import_jobs import get_job, start_import
from workers import dispatch

router = APIRouter(prefix=PATH, include_in_schema=False)
FINAL = (ImportStatus.DONE, ImportStatus.FAILED)


def _load(db: Database, job_id: int) -> tuple[ImportJob, MailingList]:
    job = get_job(db, job_id)
    if job is None:
        raise not_found("such import")
    with db.session() as session:
        mailing_list = session.get(MailingList, job.list_id)
    assert mailing_list is not None
    return job, mailing_list


@router.post("/lists/{slug}/import", response_class=HTMLResponse)
def start(slug: str, request: Request, viewer: ViewerDep,
          file: Annotated[UploadFile | None, File()] = None,
          pending: Annotated[str, Form()] = "", csrf_token: Annotated[str, Form()] = ""
          ) -> Response:
    check_form(request, csrf_token)
    require(viewer, Area.SUBSCRIBERS)
    db = request.app.state.db
    row = load_list(db, slug)
    if file is None or not file.filename:
        return _refused(request, viewer, row, "Choose a CSV file to import.")
    try:
        job_id = start_import(db, row.id, file.file, filename=file.filename,
                              as_pending=bool(pending), user_id=viewer.id)
    except InputError as exc:
        return _refused(request, viewer, row, str(exc)[:1].upper() + str(exc)[1:] + ".")
    after_commit(dispatch.import_subscribers, [job_id])  # committed: a worker (or this process)
    return see_other(f"{PATH}/imports/{job_id}")


def _refused(request: Request, viewer: Viewer, row: MailingList, message: str
             ) -> HTMLResponse:
    return list_page(request, viewer, row, list_values(row), {"file": message}, status=400)


@router.get("/imports/{job_id}", response_class=HTMLResponse)
def show(job_id: int, request: Request, viewer: ViewerDep) -> HTMLResponse:
    job, mailing_list = _load(request.app.state.db, job_id)
    return render(request, "import.html", viewer, title="Import", job=job, row=mailing_list,
                  final=job.status in FINAL)


@router.get("/imports/{job_id}/progress", response_class=HTMLResponse)
def progress(job_id: int, request: Request, viewer: ViewerDep) -> HTMLResponse:
    job, mailing_list = _load(request.app.state.db, job_id)
    return render(request, "import_progress.html", viewer, job=job, row=mailing_list,
                  final=job.status in FINAL)
