"""Who may change what. Viewers read everything; editors also change articles, feeds and
editions; admins also lists, subscribers and users."""

from __future__ import annotations

import enum

from briefing.core.errors import InputError
from briefing.core.models import AdminRole

__all__ = ["Area", "may_change", "parse_role"]


class Area(enum.StrEnum):
    ARTICLES = "articles"
    FEEDS = "feeds"
    EDITIONS = "editions"
    LISTS = "lists"
    SUBSCRIBERS = "subscribers"
    USERS = "users"


_EDITOR_AREAS = frozenset({Area.ARTICLES, Area.FEEDS, Area.EDITIONS})


def may_change(role: AdminRole, area: Area) -> bool:
    if role == AdminRole.ADMIN:
        return True
    return role == AdminRole.EDITOR and area in _EDITOR_AREAS


def parse_role(raw: str) -> AdminRole:
    try:
        return AdminRole(raw.strip().lower())
    except ValueError:
        raise InputError(f"role {raw!r} is not one of admin, editor, viewer") from None
