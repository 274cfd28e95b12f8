"""/admin/people/{id}: one person with their subscriptions, consent records and deliveries;
unsubscribe them from a list; erase them for good, after a confirm step."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from briefing.accounts.roles import Area
from briefing.admin.forms import FormText
from briefing.admin.pages import check_form, not_found, render, see_other
from briefing.admin.session import PATH, ViewerDep, require
from briefing.backoffice.browse import person, person_deliveries
from briefing.core.db import Database
from briefing.core.models import Subscriber
from briefing.subscribers.subscriptions import remove_subscriber
from briefing.subscribers.transfer import erase_subscriber, export_subscriber

router = APIRouter(prefix=f"{PATH}/people", include_in_schema=False)


def _load(db: Database, person_id: int) -> Subscriber:
    found = person(db, person_id)
    if found is None:
        raise not_found("such person (they may have been erased)")
    return found


@router.get("/{person_id}", response_class=HTMLResponse)
def show(person_id: int, request: Request, viewer: ViewerDep, left: str = "") -> HTMLResponse:
    db = request.app.state.db
    found = _load(db, person_id)
    return render(request, "person.html", viewer, title=found.email, person=found,
                  record=export_subscriber(db, found.email),
                  deliveries=person_deliveries(db, found.id),
                  notice=f"Unsubscribed from {left[:64]}." if left else "")


@router.post("/{person_id}/unsubscribe")
def unsubscribe(person_id: int, request: Request, viewer: ViewerDep, list_slug: FormText = "",
                csrf_token: FormText = "") -> Response:
    check_form(request, csrf_token)
    require(viewer, Area.SUBSCRIBERS)
    db = request.app.state.db
    found = _load(db, person_id)
    if not remove_subscriber(db, list_slug, found.email):
        raise not_found("active subscription of this person to that list")
    return see_other(f"{PATH}/people/{found.id}?left={list_slug}")


@router.get("/{person_id}/erase", response_class=HTMLResponse)
def erase_form(person_id: int, request: Request, viewer: ViewerDep) -> HTMLResponse:
    """The confirm step: says what goes, changes nothing."""
    require(viewer, Area.SUBSCRIBERS)
    found = _load(request.app.state.db, person_id)
    return render(request, "erase.html", viewer, title="Erase a person", person=found)


@router.post("/{person_id}/erase", response_class=HTMLResponse)
def erase(person_id: int, request: Request, viewer: ViewerDep,
          csrf_token: FormText = "") -> HTMLResponse:
    check_form(request, csrf_token)
    require(viewer, Area.SUBSCRIBERS)
    db = request.app.state.db
    found = _load(db, person_id)
    erase_subscriber(db, found.email)
    return render(request, "erased.html", viewer, title="Erased", email=found.email)
