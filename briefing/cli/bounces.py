"""`briefing bounces …`: read bounce reports and provider webhook payloads, print JSON lines.

Each command takes many files in one call, so a whole corpus is one process; a file that
cannot be read becomes one line with an "error", and the run goes on.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import typer

from briefing.feedback import ReportError, read_report
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
