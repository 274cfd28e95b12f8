"""Random tokens handed to a browser or a script, and the hash we keep instead."""

from __future__ import annotations

import hashlib
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    # A plain SHA-256 is enough: the token is 256 random bits, nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()
