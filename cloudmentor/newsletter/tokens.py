"""The links of newsletter emails: opaque, authenticated tokens (AES-GCM, `core.crypto`).

- unsubscribe: names a subscriber, never expires (a link in a year-old email still
  works); no login needed, the token is the proof;
- confirmation (double opt-in of the public form): the address, its language and the
  time of the request, valid ``NEWSLETTER_CONFIRM_DAYS``. Encrypted, so the address is
  not readable in the link.

Keys are the platform's ``COOKIE_KEYS`` ring (newest first; the previous keys still open
old links after a rotation). Each kind is bound to its own name, so one kind of token
cannot be used as the other.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from cloudmentor.core import crypto

UNSUBSCRIBE = "newsletter.unsubscribe"
CONFIRM = "newsletter.confirm"


def _now() -> float:
    return time.time()


def unsubscribe_token(subscriber_id: int) -> str:
    return crypto.seal(UNSUBSCRIBE, {"s": subscriber_id}, expires_at=None)


def unsubscribe_subscriber_id(token: str) -> int | None:
    """Return the subscriber an unsubscribe token names, or None if it is not one of ours."""
    value: Any = crypto.unseal(UNSUBSCRIBE, token)
    if not isinstance(value, dict) or not isinstance(value.get("s"), int):
        return None
    return int(value["s"])


@dataclass(frozen=True)
class Confirmation:
    email: str
    language: str
    requested_at: float


def confirm_token(*, email: str, language: str) -> str:
    now = _now()
    expires_at = now + int(settings.NEWSLETTER_CONFIRM_DAYS) * 86400
    return crypto.seal(CONFIRM, {"e": email, "l": language, "t": now}, expires_at=expires_at)


def confirm_payload(token: str) -> Confirmation | None:
    """Return what a confirmation link asks for, or None if forged, damaged or expired."""
    value: Any = crypto.unseal(CONFIRM, token)
    try:
        return Confirmation(email=str(value["e"]), language=str(value["l"]), requested_at=float(value["t"]))
    except (TypeError, KeyError, ValueError):
        return None
