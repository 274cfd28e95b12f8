"""Admin accounts: passwords, sign-in limits shared through the database, sessions that end,
personal API tokens, and the `briefing users` commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select
from typer.testing import CliRunner

from briefing.accounts import attempts, sessions, tokens, users
from briefing.accounts.roles import Area, may_change
from briefing.accounts.signin import WRONG, SignInBlocked, SignInRefused, sign_in
from briefing.core.clock import utcnow
from briefing.core.db import Database
from briefing.core.errors import InputError
from briefing.core.models import AdminRole, AdminSession, AdminUser, ApiToken
from tests.support.cli import run

PASSWORD = "correct horse battery"
HOURS = timedelta(hours=12)


@pytest.fixture
def ann(any_db: Database) -> AdminUser:
    return users.add_user(any_db, "Ann@Example.org", AdminRole.EDITOR, PASSWORD)


def test_a_password_is_stored_as_an_argon2_hash_and_signs_in(any_db: Database,
                                                             ann: AdminUser) -> None:
    with any_db.session() as session:
        stored = session.scalar(select(AdminUser.password_hash))
    assert stored is not None and stored.startswith("$argon2id$") and PASSWORD not in stored
    user, token = sign_in(any_db, "ann@example.org", PASSWORD, "10.0.0.1", HOURS)
    assert user.email == "Ann@example.org"  # the domain normalized, the local part kept
    found = sessions.session_user(any_db, token)
    assert found is not None and found.id == ann.id


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(
        any_db: Database, ann: AdminUser) -> None:
    answers = []
    for email, password in (("ann@example.org", "wrong password!"),
                            ("nobody@example.org", PASSWORD)):
        with pytest.raises(SignInRefused) as refused:
            sign_in(any_db, email, password, "10.0.0.1", HOURS)
        answers.append(str(refused.value))
    assert answers == [WRONG, WRONG]


def test_short_passwords_are_refused(any_db: Database) -> None:
    with pytest.raises(InputError, match="at least 10"):
        users.add_user(any_db, "bob@example.org", AdminRole.VIEWER, "short")


def test_an_account_is_blocked_after_five_failures_in_every_process(
        any_db: Database, ann: AdminUser) -> None:
    for n in range(attempts.ACCOUNT_LIMIT):
        with pytest.raises(SignInRefused):
            sign_in(any_db, "ann@example.org", "wrong password!", f"10.0.0.{n}", HOURS)
    other_process = Database(any_db.url)  # another API process: same database, same count
    try:
        with pytest.raises(SignInBlocked, match="Try again in 15 minutes"):
            sign_in(other_process, "ann@example.org", PASSWORD, "10.9.9.9", HOURS)
    finally:
        other_process.dispose()
    with time_machine.travel(utcnow() + attempts.BLOCK + timedelta(seconds=1)):
        assert sign_in(any_db, "ann@example.org", PASSWORD, "10.9.9.9", HOURS)[0].id == ann.id


def test_one_address_guessing_at_many_accounts_is_blocked(any_db: Database,
                                                          ann: AdminUser) -> None:
    for n in range(attempts.ADDRESS_LIMIT):
        with pytest.raises(SignInRefused):
            sign_in(any_db, f"guess{n}@example.org", "whatever it is", "192.0.2.7", HOURS)
    with pytest.raises(SignInBlocked):
        sign_in(any_db, "ann@example.org", PASSWORD, "192.0.2.7", HOURS)
    assert sign_in(any_db, "ann@example.org", PASSWORD, "192.0.2.8", HOURS)[0].id == ann.id


def test_a_session_ends_at_sign_out_and_when_it_expires(any_db: Database,
                                                        ann: AdminUser) -> None:
    _, token = sign_in(any_db, "ann@example.org", PASSWORD, "10.0.0.1", HOURS)
    sessions.end_session(any_db, token)
    assert sessions.session_user(any_db, token) is None
    _, token = sign_in(any_db, "ann@example.org", PASSWORD, "10.0.0.1", HOURS)
    with time_machine.travel(utcnow() + HOURS + timedelta(seconds=1)):
        assert sessions.session_user(any_db, token) is None
    with any_db.session() as session:  # only hashes are stored
        assert token not in set(session.scalars(select(AdminSession.token_hash)))


def test_a_token_is_shown_once_works_with_its_role_and_stops_when_revoked(
        any_db: Database, ann: AdminUser) -> None:
    issued = tokens.issue_token(any_db, ann.id, "  newsroom   script ")
    assert issued.name == "newsroom script" and issued.token.startswith("brf_")
    with any_db.session() as session:
        assert session.scalar(select(ApiToken.token_hash)) != issued.token
    holder = tokens.token_holder(any_db, issued.token)
    assert holder is not None and holder.role == AdminRole.EDITOR
    other = users.add_user(any_db, "eve@example.org", AdminRole.VIEWER, PASSWORD)
    assert not tokens.revoke_token(any_db, other.id, issued.id)  # not hers to revoke
    assert tokens.revoke_token(any_db, ann.id, issued.id)
    assert tokens.token_holder(any_db, issued.token) is None


def test_the_last_admin_cannot_be_removed_or_demoted(any_db: Database) -> None:
    boss = users.add_user(any_db, "boss@example.org", AdminRole.ADMIN, PASSWORD)
    with pytest.raises(InputError, match="last admin"):
        users.remove_user(any_db, boss.id)
    with pytest.raises(InputError, match="last admin"):
        users.change_role(any_db, boss.id, AdminRole.VIEWER)


def test_roles_decide_who_changes_what() -> None:
    assert not any(may_change(AdminRole.VIEWER, area) for area in Area)
    assert {area for area in Area if may_change(AdminRole.EDITOR, area)} == {
        Area.ARTICLES, Area.FEEDS, Area.EDITIONS}
    assert all(may_change(AdminRole.ADMIN, area) for area in Area)


def test_users_commands_add_list_issue_and_revoke(cli: CliRunner) -> None:
    out = run(cli, "users", "add", "chief@example.org", "--role", "admin", "--password-stdin",
              input=PASSWORD + "\n")
    assert "added chief@example.org (admin)" in out
    run(cli, "users", "add", "chief@example.org", "--role", "admin", "--password-stdin",
        input=PASSWORD + "\n", code=1)
    run(cli, "users", "add", "x@example.org", "--role", "boss", "--password-stdin",
        input=PASSWORD + "\n", code=1)
    prompted = run(cli, "users", "add", "ed@example.org", "--role", "editor",
                   input=f"{PASSWORD}\n{PASSWORD}\n")
    assert "added ed@example.org (editor)" in prompted
    assert "chief@example.org\tadmin" in run(cli, "users", "list")
    token = run(cli, "users", "tokens", "add", "ed@example.org", "cms").strip().splitlines()[-1]
    assert token.startswith("brf_")
    listed = run(cli, "users", "tokens", "list", "ed@example.org")
    assert "cms" in listed and "active" in listed and token not in listed
    token_id = listed.split("\t", 1)[0]
    run(cli, "users", "tokens", "revoke", "ed@example.org", token_id)
    assert "revoked" in run(cli, "users", "tokens", "list", "ed@example.org")
    run(cli, "users", "rm", "ed@example.org", "--yes")
    assert "ed@example.org" not in run(cli, "users", "list")
