"""Feedback after the SMTP session: bounces, complaints and provider webhooks.

Reading (report, dsn, arf, plaintext, webhooks/…) is pure functions over bytes and decoded
JSON that return plain dataclasses. On top of it, `intake.record` is the one door every
intake (pipe, LMTP, IMAP, webhooks) uses: it ties a report to our copy by its signed VERP
token or keyed Message-ID (briefing.mail.verp), stores it, and applies `outcomes`.
"""

from briefing.feedback.mime import Limits, ReportError
from briefing.feedback.model import Kind, RecipientReport, Report
from briefing.feedback.report import read_report

__all__ = ["Kind", "Limits", "RecipientReport", "Report", "ReportError", "read_report"]
