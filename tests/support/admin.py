"""Signing in to the admin web app over HTTP, as a browser without JavaScript would."""

from __future__ import annotations

import re
from typing import Any

import httpx

from briefing.accounts.users import add_user
from briefing.core.db import Database
from briefing.core.models import AdminRole

PASSWORD = "a long enough password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_user(db: Database, email: str, role: AdminRole) -> None:
    add_user(db, email, role, PASSWORD)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF field"
    return found.group(1)


def submit(client: httpx.Client, page: str, action: str, data: dict[str, Any] | None = None,
           **kwargs: Any) -> httpx.Response:
    """Open `page`, then send one of its forms to `action` with its CSRF token."""
    shown = client.get(page)
    assert shown.status_code == 200, (page, shown.status_code, shown.text[:500])
    return client.post(action, data={**(data or {}), "csrf_token": csrf_of(shown.text)},
                       **kwargs)


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    return submit(client, "/admin/login", "/admin/login",
                  {"email": email, "password": password, "next": "/admin"})
