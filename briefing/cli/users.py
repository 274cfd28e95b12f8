"""`briefing users add|list|rm` and `briefing users tokens add|list|revoke`: the people who
run the briefing, for the admin web app and personal API tokens."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from briefing.accounts import tokens, users
from briefing.accounts.roles import parse_role
from briefing.cli.common import context

app = typer.Typer(help="Admin users (web app sign-in) and their API tokens.",
                  no_args_is_help=True)
tokens_app = typer.Typer(help="Personal API tokens: named, shown once, revocable.",
                         no_args_is_help=True)
app.add_typer(tokens_app, name="tokens")

Role = Annotated[str, typer.Option(help="admin, editor or viewer.")]
PasswordStdin = Annotated[bool, typer.Option(
    "--password-stdin", help="Read the password from standard input (a flag).")]
Yes = Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation (a flag).")]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command("add")
def add(email: str, role: Role = "viewer", password_stdin: PasswordStdin = False) -> None:
    """Add someone who signs in to the admin web app (`/admin`); the password is asked for twice,
    or read from standard input."""
    chosen = parse_role(role)
    user = users.add_user(context(with_tasks=False).db, email, chosen,
                          _password(password_stdin))
    typer.echo(f"added {user.email} ({user.role})")


@app.command("list")
def list_users() -> None:
    """Admin users with their roles."""
    for user in users.all_users(context(with_tasks=False).db):
        typer.echo(f"{user.email}\t{user.role}\tsince {user.created_at:%Y-%m-%d}")


@app.command("rm")
def remove(email: str, yes: Yes = False) -> None:
    """Remove an admin user: their sessions end and their tokens stop working."""
    db = context(with_tasks=False).db
    user = users.find_user(db, email)
    if not yes:
        typer.confirm(f"Remove {user.email}?", abort=True)
    users.remove_user(db, user.id)
    typer.echo(f"removed {user.email}")


@tokens_app.command("add")
def token_add(email: str, name: Annotated[str, typer.Argument(
        help="What the token is for, e.g. 'newsroom script'.")]) -> None:
    """Issue a personal API token (printed once, stored hashed); it acts with the user's role."""
    db = context(with_tasks=False).db
    issued = tokens.issue_token(db, users.find_user(db, email).id, name)
    typer.echo(f"token {issued.id} ({issued.name}); keep it now, it is not shown again:",
               err=True)
    typer.echo(issued.token)


@tokens_app.command("list")
def token_list(email: str) -> None:
    """A user's tokens: id, name, first characters, last use, revoked or not."""
    db = context(with_tasks=False).db
    for row in tokens.user_tokens(db, users.find_user(db, email).id):
        used = f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "never used"
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        typer.echo(f"{row.id}\t{row.name}\t{row.prefix}…\t{used}\t{state}")


@tokens_app.command("revoke")
def token_revoke(email: str, token_id: int) -> None:
    """Revoke a token: it stops working at once."""
    db = context(with_tasks=False).db
    if not tokens.revoke_token(db, users.find_user(db, email).id, token_id):
        raise typer.BadParameter(f"{email} has no active token {token_id}")
    typer.echo(f"revoked token {token_id}")
