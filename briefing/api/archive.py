"""The public archive: past editions of a list, each as its web version ("view in browser")."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from briefing.api.webpage import SECURITY_HEADERS, PageError, known_list, limit, page
from briefing.core.models import EditionKind
from briefing.editions import service as editions
from briefing.web.deps import DatabaseDep, SettingsDep

router = APIRouter(include_in_schema=False)
# Editions are public and do not change once sent: caches may keep them a while.
ARCHIVE_HEADERS = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=300"}


@router.get("/archive/{slug}", response_class=HTMLResponse)
def index(slug: str, request: Request, db: DatabaseDep, settings: SettingsDep
          ) -> HTMLResponse:
    limit(request)
    mailing_list = known_list(db, slug)
    entries = editions.archive_index(db, mailing_list.slug)
    return page("archive.html", title=f"{mailing_list.name}: past editions",
                list=mailing_list, entries=entries, base_url=settings.base_url)


@router.get("/archive/{slug}/{day}", response_class=HTMLResponse)
def edition(slug: str, day: str, request: Request, db: DatabaseDep) -> HTMLResponse:
    return _edition(slug, day, request, db, EditionKind.DAILY)


@router.get("/archive/{slug}/weekly/{day}", response_class=HTMLResponse)
def weekly_edition(slug: str, day: str, request: Request, db: DatabaseDep) -> HTMLResponse:
    """A weekly edition, by the Monday of its week."""
    return _edition(slug, day, request, db, EditionKind.WEEKLY)


def _edition(slug: str, day: str, request: Request, db: DatabaseDep, kind: EditionKind
             ) -> HTMLResponse:
    limit(request)
    mailing_list = known_list(db, slug)
    try:
        when = date.fromisoformat(day)
    except ValueError:
        raise PageError(404, "No such edition", "That date is not in the archive.",
                        "Dates look like 2026-11-25.") from None
    html = editions.archived(db, mailing_list.slug, when, kind)
    if html is None:
        raise PageError(404, "No such edition",
                        f"{mailing_list.name} has no edition for {when:%d %B %Y}.",
                        "See the list's past editions for the dates there are.")
    return HTMLResponse(html, headers=ARCHIVE_HEADERS)
