"""Form fields as routes receive them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form

FormText = Annotated[str, Form()]
CsrfField = Annotated[str, Form()]


def field_errors(message: str, field: str) -> dict[str, str]:
    """One problem, shown next to its field."""
    return {field: message[:1].upper() + message[1:]}
