"""Signed links: HMAC-SHA256 over a small JSON payload, keyed by the secret key.

Each purpose has its own salt, so a confirmation token can never be used to unsubscribe (or
the other way round), and a token signed with another installation's key is simply invalid.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from briefing.core.errors import InputError

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"
CSRF = "csrf"  # a public form's token, bound to the browser's nonce cookie


class TokenError(InputError):
    """The link is broken, tampered with, expired or meant for something else."""

    def __init__(self, message: str, *, expired: bool = False) -> None:
        super().__init__(message)
        self.expired = expired


@lru_cache(maxsize=16)
def _serializer_for(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    # Building a serializer derives its key; per reader of a 100,000-reader edition that
    # was most of the cost of a link.
    return URLSafeTimedSerializer(secret_key, salt=f"briefing.{purpose}")


@dataclass(frozen=True)
class Signer:
    secret_key: str

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return _serializer_for(self.secret_key, purpose)

    def sign(self, purpose: str, payload: dict[str, Any]) -> str:
        return str(self._serializer(purpose).dumps(payload))

    def verify(self, purpose: str, token: str, *, max_age_days: int) -> dict[str, Any]:
        return self.verify_within(purpose, token, max_age_seconds=max_age_days * 86_400)

    def verify_within(self, purpose: str, token: str, *, max_age_seconds: int
                      ) -> dict[str, Any]:
        if not token or len(token) > 1_000:
            raise TokenError("This link is incomplete or damaged.")
        try:
            payload = self._serializer(purpose).loads(token, max_age=max_age_seconds)
        except SignatureExpired:
            raise TokenError("This link has expired.", expired=True) from None
        except BadSignature:
            raise TokenError("This link is not valid. It may be incomplete or damaged.") from None
        if not isinstance(payload, dict):
            raise TokenError("This link is not valid.")
        return payload
