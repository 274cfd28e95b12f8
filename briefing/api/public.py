"""POST /api/subscribe: the public sign-up for sites that bring their own form (no token).

Its answer is the same whatever the address's state (new, pending, active, unsubscribed), so
it cannot be used to find out who is on a list. A malformed address is refused (422): that
says something about the input only, never about our subscribers.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request

from briefing.api import errors
from briefing.api.schemas import ErrorResponse, PublicSubscribe, SubscribeAccepted
from briefing.core.models import ConsentSource
from briefing.core.work import after_commit
from briefing.subscribers.subscriptions import sign_up
from briefing.web import ratelimit
from briefing.web.deps import DatabaseDep, SettingsDep
from workers import dispatch

PATH = "/api/subscribe"
ACCEPTED = SubscribeAccepted(status="accepted", message=(
    "If this address can be subscribed, a confirmation email is on its way. "
    "The subscription starts when its link is opened."))
TOO_MANY: dict[int | str, dict[str, Any]] = {429: {
    "model": ErrorResponse, "description": "too many requests from this address (Retry-After)"}}

router = APIRouter(tags=["public"])


def limited(request: Request) -> None:
    """Counted before the body is validated, so malformed requests use up the budget too."""
    try:
        ratelimit.check(request)
    except ratelimit.RateLimited as exc:
        raise errors.ApiError(429, str(exc), "rate_limited",
                              headers={"Retry-After": str(exc.retry_after)}) from None


@router.post(PATH, status_code=202, response_model=SubscribeAccepted,
             dependencies=[Depends(limited)],
             responses={**errors.responses(400, 404, 413, 422), **TOO_MANY})
def subscribe(body: PublicSubscribe, request: Request, db: DatabaseDep,
              settings: SettingsDep, background: BackgroundTasks) -> SubscribeAccepted:
    """Start double opt-in for `email` on the list `list`; no API token needed."""
    signup = sign_up(db, body.slug, body.email, body.name, settings,
                     source=ConsentSource.API, ip=ratelimit.client_address(request))
    if signup.send_confirmation:
        # After the response: in embedded mode the mail is sent in-process, and answering
        # first keeps a new address from taking measurably longer than a known one.
        background.add_task(after_commit, dispatch.send_confirmations, [signup.subscription_id])
    return ACCEPTED
