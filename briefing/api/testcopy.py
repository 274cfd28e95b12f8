"""/test-copy/…: where a test copy's unsubscribe and preferences links lead.

A test copy went to an editor, not a reader, so its links name no subscription. The page
says so and changes nothing, whether a person opens it or a mail provider sends the RFC 8058
one-click POST (answered 200, like a real one-click unsubscribe).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from briefing.api.webpage import PageError, limit, page
from briefing.editions import testcopy

# What each link does in a real edition, for the page to explain.
WHAT_IT_DOES = {
    testcopy.UNSUBSCRIBE_LINK: "asks the reader it was sent to whether to unsubscribe them",
    testcopy.PREFERENCES_LINK: "opens the reader's page for their lists and their name",
}

router = APIRouter(include_in_schema=False)


@router.api_route(testcopy.PATH + "/{which}", methods=["GET", "POST"],
                  response_class=HTMLResponse)
def test_copy_link(which: str, request: Request) -> HTMLResponse:
    # A POST is a mail provider's one-click request: give it the one-click allowance.
    limit(request, "one_click_limiter" if request.method == "POST" else "public_limiter")
    if which not in WHAT_IT_DOES:
        raise PageError(404, "No such page", "There is nothing at this address.",
                        "Check the link you followed.")
    return page("test_copy.html", title="This was a test copy",
                what_it_does=WHAT_IT_DOES[which])
