"""`POST /webhooks/{provider}`: bounce, complaint and unsubscribe events from mail providers.

The signature (or the credentials in the URL) is checked on the raw body first; an unsigned
or badly signed call gets 401 and nothing is read or changed. Each event is then recorded
through the same door as a bounce message (briefing.feedback.intake), so a provider that
posts the same body twice changes nothing the second time.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from briefing.core.errors import NotFound
from briefing.feedback import intake
from briefing.feedback.webhooks import PROVIDERS, read_webhook, sns
from briefing.feedback.webhooks.signatures import verify
from briefing.web.deps import DatabaseDep, SettingsDep

router = APIRouter(tags=["webhooks"])


@router.post("/webhooks/{provider}", summary="Receive a mail provider's event webhook")
async def receive(provider: str, request: Request, db: DatabaseDep, settings: SettingsDep
                  ) -> JSONResponse:
    if provider not in PROVIDERS:
        raise NotFound(f"no webhook for {provider!r}; known: {', '.join(PROVIDERS)}")
    body = await request.body()
    verify(provider, body, request.headers, settings)
    if provider == "ses" and b"SubscriptionConfirmation" in body:
        confirmed = sns.confirm_subscription(json.loads(body))
        return JSONResponse({"events": 0, "recorded": 0, "matched": 0,
                             "subscription_confirmed": confirmed})
    events = read_webhook(provider, body)
    recorded = [intake.record_event(db, settings, event, body, n)
                for n, event in enumerate(events)]
    kept = [r for r in recorded if r is not None]
    return JSONResponse({"events": len(events), "recorded": len(kept),
                         "matched": sum(1 for r in kept if r.delivery_id is not None)})
