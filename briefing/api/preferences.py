"""The reader's preferences page: /preferences/{token}, from the footer of every briefing.

The link is the unsubscribe token (it names one subscription, hence the person). The GET
only shows (mail scanners open links); the POST, behind the same CSRF pair and per-client
limit as the unsubscribe page, applies the form through briefing.subscribers.preferences.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from briefing.api.webpage import check_csrf, form_page, limit, token_problem
from briefing.core.config import Settings
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.zones import zone_names
from briefing.mail.addresses import MAX_PERSON_NAME_CHARS
from briefing.subscribers import preferences
from briefing.subscribers.frequency import DAYS, checked_cadence
from briefing.subscribers.signed_links import TokenError
from briefing.subscribers.topics import TopicError
from briefing.web import ratelimit
from briefing.web.deps import DatabaseDep, SettingsDep

router = APIRouter(include_in_schema=False)
HINT = ("Use the Preferences link in a more recent email from the list, "
        "or reply to one of its emails.")
Slugs = Annotated[list[str], Form()]


def preferences_path(token: str) -> str:
    return f"/preferences/{quote(token, safe='')}"


def _load(db: Database, token: str, settings: Settings) -> preferences.Preferences:
    try:
        return preferences.load(db, token, settings)
    except TokenError as exc:
        raise token_problem(exc, HINT) from None


def _show(request: Request, settings: Settings, token: str, shown: preferences.Preferences, *,
          status: int = 200, name: str | None = None, error: str = "",
          zone_error: str = "", often_error: str = "", timezone: str | None = None,
          saved: preferences.Changes | None = None) -> HTMLResponse:
    return form_page(request, settings, "preferences.html", status, title="Your preferences",
                     email=shown.email, name=shown.name if name is None else name,
                     lists=shown.lists, error=error, saved=saved, zone_error=zone_error,
                     often_error=often_error,
                     timezone=shown.timezone or "" if timezone is None else timezone,
                     zones=zone_names(), days=DAYS,
                     action=preferences_path(token),
                     unsubscribe_url=f"/unsubscribe/{quote(token, safe='')}")


def _frequencies(values: list[str]) -> dict[str, str]:
    """Each list's select posts "slug:frequency" ("news:weekly:friday"; slugs have no
    colon); a value without one is ignored."""
    return dict(value.split(":", 1) for value in values if ":" in value)


def _topics(shown: list[str], ticked: list[str]) -> dict[str, list[str]]:
    """Each list whose topics were on the page (`topics_shown`) maps to the ones ticked;
    a box posts "slug:topic"."""
    chosen: dict[str, list[str]] = {slug: [] for slug in shown}
    for value in ticked:
        slug, _, topic = value.partition(":")
        if slug in chosen and topic:
            chosen[slug].append(topic)
    return chosen


def _checked_frequencies(values: dict[str, str]) -> bool:
    try:
        for value in values.values():
            checked_cadence(value)
    except InputError:
        return False
    return True


@router.get("/preferences/{token}", response_class=HTMLResponse)
def preferences_form(token: str, request: Request, db: DatabaseDep,
                     settings: SettingsDep) -> HTMLResponse:
    """Shows; changes nothing."""
    limit(request)
    return _show(request, settings, token, _load(db, token, settings))


@router.post("/preferences/{token}", response_class=HTMLResponse)
def preferences_saved(token: str, request: Request, db: DatabaseDep, settings: SettingsDep,
                      csrf_token: Annotated[str, Form()] = "",
                      name: Annotated[str | None, Form()] = None,
                      timezone: Annotated[str | None, Form()] = None,
                      zone_shown: Annotated[str | None, Form()] = None,
                      frequency: Slugs | None = None, topics_shown: Slugs | None = None,
                      topic: Slugs | None = None,
                      shown: Slugs | None = None, lists: Slugs | None = None) -> HTMLResponse:
    limit(request)
    check_csrf(request, csrf_token, settings)
    if timezone is None and zone_shown:  # the field was on the page and left empty: clear
        timezone = ""
    if timezone and timezone.strip() and timezone.strip() not in zone_names():
        return _show(request, settings, token, _load(db, token, settings), status=400,
                     timezone=timezone[:64], zone_error="Please choose a time zone from the "
                     "list, such as Europe/Berlin (or leave it empty).")
    often = _frequencies(frequency or [])
    if not _checked_frequencies(often):
        return _show(request, settings, token, _load(db, token, settings), status=400,
                     often_error="Please choose how often from the choices offered.")
    try:
        changes = preferences.save(db, token, settings, name=name, shown=set(shown or ()),
                                   wanted=set(lists or ()), timezone=timezone,
                                   frequencies=often,
                                   topics=_topics(topics_shown or [], topic or []),
                                   ip=ratelimit.client_address(request))
    except TokenError as exc:
        raise token_problem(exc, HINT) from None
    except TopicError:
        return _show(request, settings, token, _load(db, token, settings), status=400,
                     often_error="Please choose topics from the ones the list offers.")
    except InputError as exc:
        # Nothing was saved: the page shows what is stored, with the (cut) name to fix.
        return _show(request, settings, token, _load(db, token, settings), status=400,
                     name=(name or "")[:MAX_PERSON_NAME_CHARS],
                     error=f"Please shorten your name: the {exc}.")
    return _show(request, settings, token, _load(db, token, settings), saved=changes)
