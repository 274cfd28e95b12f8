"""Celery entry point: `celery -A workers worker` finds `app` here."""

from workers.app import app

__all__ = ["app"]
