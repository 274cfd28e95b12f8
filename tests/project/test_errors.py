"""One error hierarchy, mapped by base class in each face: a stage raises, a face answers."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from briefing.accounts.users import UserNotFound
from briefing.api import errors as api_errors
from briefing.cli.common import USER_ERRORS
from briefing.core.config import ConfigError
from briefing.core.errors import BriefingError
from briefing.core.outages import ServiceUnreachable
from briefing.ingest.feedparse import FeedError
from briefing.ingest.feeds import FeedExistsError
from briefing.subscribers.lists import ListNotFound
from briefing.summarize.summarizer import SummaryError

RAISED = {
    "summary": (SummaryError("the text has no sentences"), 422),
    "feed": (FeedError("not an RSS or Atom feed"), 422),
    "list": (ListNotFound("weekly"), 404),
    "user": (UserNotFound("ann@example.org"), 404),
    "exists": (FeedExistsError(3, "https://example.org/feed"), 409),
    "down": (ServiceUnreachable("BRIEFING_DATABASE_URL: cannot reach 10.0.0.1:5432"), 503),
}


def _raising(error: Exception):  # type: ignore[no-untyped-def]
    def route() -> None:
        raise error
    return route


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    api_errors.install(app)
    for name, (error, _) in RAISED.items():
        app.add_api_route(f"/{name}", _raising(error))
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize("name", sorted(RAISED))
def test_api_answers_each_core_error_by_its_base_class(client: TestClient, name: str) -> None:
    error, status = RAISED[name]
    response = client.get(f"/{name}")
    assert response.status_code == status
    assert response.json()["error"]["message"] == str(error)


ERRORS = [*(error for error, _ in RAISED.values()), ConfigError("BRIEFING_X: bad")]


@pytest.mark.parametrize("error", ERRORS)
def test_cli_prints_every_core_error_as_one_line(error: BriefingError) -> None:
    assert isinstance(error, USER_ERRORS)
