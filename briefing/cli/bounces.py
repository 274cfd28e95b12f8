"""`briefing bounces …`: read bounce reports and provider webhook payloads, print JSON lines.

Each command takes many files in one call, so a whole corpus is one process; a file that
cannot be read becomes one line with an "error", and the run goes on.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from briefing.cli.common import DATABASE_ERRORS, JsonFlag, context
from briefing.core.errors import ServiceDown
from briefing.feedback import ReportError, intake, read_report, reports
from briefing.feedback.webhooks import PROVIDERS, WebhookError, read_webhook

log = logging.getLogger(__name__)
app = typer.Typer(no_args_is_help=True, help="Read bounce reports and provider webhooks.")

FILES = typer.Argument(..., help="Files to read; '-' reads standard input.")


def report_lines(name: str, raw: bytes, details: bool = False) -> list[dict[str, Any]]:
    """The lines `bounces parse` prints for one message."""
    try:
        report = read_report(raw)
    except ReportError as exc:
        return [_unread(name, str(exc))]
    except Exception as exc:  # a bug on one odd message must not stop a corpus run
        log.exception("could not read %s", name)
        return [_unread(name, f"could not read: {type(exc).__name__}: {exc}")]
    lines = []
    for entry in report.recipients:
        line: dict[str, Any] = {"file": name, "recipient": entry.recipient,
                                "status": entry.status, "kind": entry.kind.value,
                                "reason": entry.reason}
        if details:
            line |= {"diagnostic": entry.diagnostic, "feedback_type": entry.feedback_type,
                     "message_id": report.message_id,
                     "envelope": list(report.envelope_addresses), "format": report.format}
        lines.append(line)
    return lines


def _unread(name: str, error: str | None) -> dict[str, Any]:
    return {"file": name, "recipient": None, "status": None, "kind": "none", "reason": None,
            "error": error}


def webhook_lines(provider: str, name: str, raw: bytes) -> list[dict[str, Any]]:
    """The lines `bounces webhook` prints for one payload."""
    try:
        events = read_webhook(provider, raw)
    except WebhookError as exc:
        return [{"file": name, "recipient": None, "kind": "ignore", "hard": None,
                 "error": str(exc)}]
    return [{"file": name, "recipient": e.recipient, "kind": e.kind.value, "hard": e.hard,
             "reason": e.reason, "message_id": e.message_id} for e in events]


def _read(name: str) -> tuple[bytes | None, str | None]:
    try:
        return (sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()), None
    except OSError as exc:
        return None, f"cannot read: {exc.strerror or exc}"


def _emit(lines: list[dict[str, Any]]) -> None:
    for line in lines:
        typer.echo(json.dumps(line, ensure_ascii=False))


@app.command("parse")
def parse(files: list[str] = FILES,
          details: bool = typer.Option(False, help="Also print the diagnostic, the original "
                                       "Message-ID and the VERP addresses.")) -> None:
    """Read bounce, complaint and auto-reply messages; print one JSON line per reported recipient
    (`file`, `recipient`, `status`, `kind`, `reason`). Changes nothing."""
    for name in files:
        raw, error = _read(name)
        _emit([_unread(name, error)] if raw is None else report_lines(name, raw, details))


@app.command("webhook")
def webhook(provider: str = typer.Argument(..., help=f"One of: {', '.join(PROVIDERS)}."),
            files: list[str] = FILES) -> None:
    """Read provider webhook bodies (`ses`, `sendgrid`, `postmark`, `mailgun`, `sparkpost`,
    `brevo`, `mailjet`; signatures not checked); print one JSON line per event (`file`,
    `recipient`, `kind`, `hard`)."""
    if provider not in PROVIDERS:
        raise typer.BadParameter(f"unknown provider {provider!r}; choose from "
                                 f"{', '.join(PROVIDERS)}", param_hint="PROVIDER")
    for name in files:
        raw, error = _read(name)
        if raw is None:
            _emit([{"file": name, "recipient": None, "kind": "ignore", "hard": None,
                    "error": error}])
        else:
            _emit(webhook_lines(provider, name, raw))


# --------------------------------------------------------------- intake and the stored reports

# sysexits.h EX_TEMPFAIL: an MTA's pipe transport keeps the message and tries again later.
EX_TEMPFAIL = 75
MAX_STDIN_BYTES = 50 << 20


@app.command("receive")
def receive(envelope_to: Annotated[list[str] | None, typer.Option(
        "--envelope-to", help="The address the report was delivered to (Postfix: "
        "${original_recipient}); repeatable.")] = None,
            source: Annotated[str, typer.Option(help="Where it came from, as stored.")] =
            "receive") -> None:
    """Record one bounce or complaint message read from standard input (an MTA's pipe
    transport, procmail): it is matched to the copy it is about and its outcome applied. Prints
    one JSON line. Exits 75 (try again later) when the database cannot be reached, so the
    mail server keeps the message."""
    raw = sys.stdin.buffer.read(MAX_STDIN_BYTES)
    try:
        ctx = context(with_tasks=False)
        done = intake.record(ctx.db, ctx.settings, raw, source, tuple(envelope_to or ()))
    except (ServiceDown, *DATABASE_ERRORS) as exc:
        typer.echo(f"error: {exc}; the mail server should try again later", err=True)
        raise typer.Exit(EX_TEMPFAIL) from None
    typer.echo(json.dumps({"report": done.report_id, "kind": done.kind,
                           "matched_by": done.matched_by, "delivery": done.delivery_id,
                           "action": done.action, "duplicate": done.duplicate}))


@app.command("list")
def list_(kind: Annotated[str | None, typer.Option(
        help="Only this kind: hard, soft, complaint, auto_reply, none.")] = None,
          limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
          before: Annotated[int | None, typer.Option(help="Page on: reports older than "
                                                     "this id.")] = None,
          as_json: JsonFlag = False) -> None:
    """Received reports, newest first: kind, status, the reader, and what it changed."""
    ctx = context(with_tasks=False)
    for view in reports.list_reports(ctx.db, kind=kind, limit=limit, before_id=before):
        if as_json:
            typer.echo(json.dumps(view.as_json()))
            continue
        typer.echo(f"{view.id:>6}  {view.received_at:%Y-%m-%d %H:%M}  {view.kind:<10} "
                   f"{view.status or '-':<6} {view.reader or view.recipient or '-':<32} "
                   f"{view.action}{' (undone)' if view.undone else ''}")


@app.command("show")
def show(report_id: int, raw: Annotated[bool, typer.Option(
        "--raw", help="Print the message as received.")] = False) -> None:
    """One report: what it said, which copy it was about, what it changed (JSON)."""
    ctx = context(with_tasks=False)
    view, message = reports.show_report(ctx.db, report_id)
    if raw:
        sys.stdout.buffer.write(message or b"")
        return
    typer.echo(json.dumps({**view.as_json(), "raw_bytes": len(message or b"")}, indent=2))


@app.command("undo")
def undo(report_id: int) -> None:
    """Undo a false positive: put back the subscriptions (and count) this report changed."""
    ctx = context(with_tasks=False)
    view = reports.undo_report(ctx.db, report_id)
    typer.echo(f"report {view.id} undone; {view.reader or 'the reader'} is back as before")


@app.command("serve")
def serve(host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(min=1, max=65535)] = 2424) -> None:
    """Run an LMTP receiver that a mail server forwards the bounce domain to (Postfix:
    `transport_maps` → `lmtp:inet:127.0.0.1:2424`); every message is recorded as `bounces
    receive` would, and answered 451 (try later) while the database is down."""
    from briefing.feedback.lmtp import serve_forever

    ctx = context(with_tasks=False)
    typer.echo(f"LMTP intake listening on {host}:{port}", err=True)
    serve_forever(ctx.db, ctx.settings, host, port)
