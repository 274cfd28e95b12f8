"""Property-based run of the API against its own OpenAPI schema (schemathesis 4).

With the token: no generated request, valid or deliberately invalid, may cause a 5xx, and
every answer must match the response schema declared for its status. Without the token:
every admin operation answers 401.

Operations are driven through Hypothesis directly (`operation.as_strategy()`), because the
`schemathesis.pytest.from_fixture` integration does not run on pytest 9.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from briefing.api.auth import PUBLIC_PATHS
from briefing.core.db import Database
from briefing.core.models import MailingList
from briefing.server import create_app
from briefing.subscribers.lists import ListChanges, create_list
from tests.support.databases import make_settings

AUTH = {"Authorization": "Bearer test-token"}
CHECKS = [not_a_server_error, response_schema_conformance]
EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 8}


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    from workers import runtime

    # Generated URLs must fail fast: private addresses are refused (as in production) and
    # nothing waits long for a server that is not there. /api/subscribe is fuzzed too: its
    # confirmation mail goes to the outbox folder (no SMTP host), and its rate limit is
    # raised so the fuzzing reaches the route rather than the 429 answer.
    data_dir: Path = tmp_path_factory.mktemp("schema") / "var"
    app = create_app(make_settings(data_dir, BRIEFING_ALLOW_PRIVATE_URLS="false",
                                   BRIEFING_FETCH_TIMEOUT="1",
                                   BRIEFING_PUBLIC_RATE_LIMIT="100000"))
    with TestClient(app):  # runs the lifespan (schema upgrade, app.state.db) for the module
        yield app
    runtime.use(None)


@pytest.fixture(scope="module")
def operations(api_app: FastAPI) -> list[schemathesis.APIOperation]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api_app)
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) >= 23, [op.label for op in found]
    return found


def _hypothesis(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("mode", list(EXAMPLES), ids=lambda mode: mode.value)
def test_every_operation_conforms_and_never_fails_with_5xx(
        operations: list[schemathesis.APIOperation], mode: GenerationMode) -> None:
    tested = []
    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=mode))
        @_hypothesis(EXAMPLES[mode])
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=AUTH, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            # Nothing to make invalid (no parameters, no body): only possible in negative mode.
            assert mode is GenerationMode.NEGATIVE
            continue
        tested.append(operation.label)
    assert len(tested) >= 19, tested


def _ensure_list(db: Database, slug: str) -> None:
    with db.session() as session:
        exists = session.query(MailingList.id).filter_by(slug=slug).first()
    if not exists:  # a generated DELETE may have removed it
        create_list(db, slug, ListChanges(name="Daily", from_address="news@example.org"))


def test_list_operations_conform_on_an_existing_list(
        api_app: FastAPI, operations: list[schemathesis.APIOperation]) -> None:
    """Random slugs only ever meet 404: aim the list routes (and the public sign-up) at a
    real list, so that adding, importing, exporting and changing are fuzzed as well."""
    aimed = [op for op in operations if "{slug}" in op.path or op.path in PUBLIC_PATHS]
    assert len(aimed) >= 8, [op.label for op in aimed]
    for operation in aimed:
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        @_hypothesis(10)
        def check(case: schemathesis.Case) -> None:
            _ensure_list(api_app.state.db, "daily")
            if "slug" in (case.path_parameters or {}):
                case.path_parameters = {**(case.path_parameters or {}), "slug": "daily"}
            if isinstance(case.body, dict) and "list" in case.body:
                case.body = {**case.body, "list": "daily"}
            case.call_and_validate(headers=AUTH, checks=CHECKS)

        check()


def test_admin_operations_refuse_calls_without_the_token(
        operations: list[schemathesis.APIOperation]) -> None:
    admin = [op for op in operations
             if op.path.startswith("/api/") and op.path not in PUBLIC_PATHS]
    assert admin
    for operation in admin:
        @given(case=operation.as_strategy())
        @_hypothesis(4)
        def check(case: schemathesis.Case) -> None:
            case.headers = {k: v for k, v in (case.headers or {}).items()
                            if k.lower() != "authorization"}
            response = case.call()
            assert response.status_code == 401, (case.operation.label, response.text)
            assert response.json()["error"]["code"] == "unauthorized"
            assert response.headers["www-authenticate"] == ["Bearer"]

        check()


def test_the_public_sign_up_needs_no_token(operations: list[schemathesis.APIOperation]) -> None:
    public = [op for op in operations if op.path in PUBLIC_PATHS]
    assert [op.label for op in public] == ["POST /api/subscribe"]
    for operation in public:
        @given(case=operation.as_strategy())
        @_hypothesis(6)
        def check(case: schemathesis.Case) -> None:
            assert case.call().status_code in (202, 404, 422), case.body

        check()
