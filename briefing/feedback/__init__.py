"""Feedback after the SMTP session: bounces, complaints and provider webhooks, read as values.

Pure functions over bytes and decoded JSON that return plain dataclasses; nothing here
touches the database, the network or the broker, so intake (pipe, LMTP, IMAP, webhooks) and
outcomes (suppression, counts) can be built on top and tested apart.
"""

from briefing.feedback.mime import Limits, ReportError
from briefing.feedback.model import Kind, RecipientReport, Report
from briefing.feedback.report import read_report

__all__ = ["Kind", "Limits", "RecipientReport", "Report", "ReportError", "read_report"]
