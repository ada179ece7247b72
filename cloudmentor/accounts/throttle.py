"""Counters in the cache that slow down guessing and flooding (TM-9, DESIGN "Known facts").

Fixed windows: a counter per scope, subject and window, created with ``cache.add`` and
bumped with ``cache.incr`` (atomic on Redis and in local memory). The limits are settings
(documented in docs/accounts.md). Subjects are hashed: no address or email is stored in
clear in the cache keys.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Limit:
    """At most `limit` hits of `scope` for `subject` in each window of `window` seconds."""

    scope: str
    subject: str
    limit: int
    window: int

    def key(self, now: float) -> str:
        digest = hashlib.sha256(self.subject.encode()).hexdigest()[:32]
        return f"cm:throttle:{self.scope}:{digest}:{int(now // self.window)}"

    def retry_after(self, now: float) -> int:
        return max(1, self.window - int(now % self.window))


def _now() -> float:
    return time.time()


def throttle_retry_after(*limits: Limit) -> int | None:
    """Return in how many seconds to try again if any limit is reached, else None."""
    now = _now()
    waits = [limit.retry_after(now) for limit in limits if int(cache.get(limit.key(now), 0)) >= limit.limit]
    return max(waits) if waits else None


def throttle_hit(*limits: Limit) -> None:
    """Count one hit against each limit."""
    now = _now()
    for limit in limits:
        key = limit.key(now)
        cache.add(key, 0, limit.window)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, limit.window)


def login_limits(*, ip: str, identifier: str) -> tuple[Limit, Limit]:
    """Failed logins per address, and per account from one address (never per account alone:
    a stranger's failures must not lock the owner out)."""
    window = int(settings.ACCOUNTS_LOGIN_WINDOW_SECONDS)
    return (
        Limit("login-ip", ip, int(settings.ACCOUNTS_LOGIN_MAX_PER_IP), window),
        Limit(
            "login-account-ip",
            f"{identifier.strip().lower()}|{ip}",
            int(settings.ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP),
            window,
        ),
    )


def register_limits(*, ip: str) -> tuple[Limit]:
    return (
        Limit(
            "register-ip",
            ip,
            int(settings.ACCOUNTS_REGISTER_MAX_PER_IP),
            int(settings.ACCOUNTS_REGISTER_WINDOW_SECONDS),
        ),
    )


def recovery_ip_limits(*, ip: str) -> tuple[Limit]:
    window = int(settings.ACCOUNTS_RECOVERY_WINDOW_SECONDS)
    return (Limit("recovery-ip", ip, int(settings.ACCOUNTS_RECOVERY_MAX_PER_IP), window),)


def recovery_account_limits(*, email: str) -> tuple[Limit]:
    """Recovery emails sent to one address (a mailbox cannot be flooded)."""
    window = int(settings.ACCOUNTS_RECOVERY_WINDOW_SECONDS)
    return (Limit("recovery-account", email.strip().lower(), int(settings.ACCOUNTS_RECOVERY_MAX_PER_ACCOUNT), window),)


def data_export_limits(*, user_id: object) -> tuple[Limit]:
    """Downloads of one member's data file (each one reads a year of requests, TM-9)."""
    return (
        Limit(
            "data-export",
            str(user_id),
            int(settings.ACCOUNTS_DATA_EXPORT_MAX_PER_WINDOW),
            int(settings.ACCOUNTS_DATA_EXPORT_WINDOW_SECONDS),
        ),
    )


def password_confirm_limits(*, user_id: object) -> tuple[Limit]:
    """Wrong passwords typed on the export and erasure pages of one account (like logins)."""
    return (
        Limit(
            "password-confirm",
            str(user_id),
            int(settings.ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP),
            int(settings.ACCOUNTS_LOGIN_WINDOW_SECONDS),
        ),
    )
