"""The throttles of the SCIM API (TM-9), from settings; the counters are `core.throttle`'s (exact across processes)."""

from __future__ import annotations

from django.conf import settings

from cloudmentor.core.throttle import Limit


def token_limits(*, token_id: int) -> tuple[Limit]:
    """Requests one token may make per window: a directory syncing a large group stays well within it."""
    return (
        Limit(
            "scim-token",
            str(token_id),
            int(settings.SCIM_MAX_REQUESTS_PER_TOKEN),
            int(settings.SCIM_THROTTLE_WINDOW_SECONDS),
        ),
    )


def auth_failure_limits(*, ip: str) -> tuple[Limit]:
    """Refused tokens per address and window: guessing tokens is cut short (then 429 before any lookup)."""
    return (
        Limit(
            "scim-auth-ip",
            ip,
            int(settings.SCIM_MAX_AUTH_FAILURES_PER_IP),
            int(settings.SCIM_THROTTLE_WINDOW_SECONDS),
        ),
    )
