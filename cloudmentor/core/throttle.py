"""Counters in the cache that slow down guessing and flooding (TM-9, DESIGN "Known facts").

Fixed windows: a counter per scope, subject and window, created with ``cache.add`` and
bumped with ``cache.incr`` (atomic on Redis and in local memory). The limits are settings
(documented in docs/accounts.md); each app declares its own (accounts.limits, donations).
Subjects are hashed: no address or email is stored in clear in the cache keys.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


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


def throttled(request: HttpRequest, retry_after: int) -> HttpResponse:
    """Answer 429 in the user's language, saying when to try again."""
    minutes = max(1, (retry_after + 59) // 60)
    response = render(request, "core/throttled.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def throttle_request(request: HttpRequest, *limits: Limit) -> HttpResponse | None:
    """Count this request against `limits`; once one is reached, the 429 page instead (not counted)."""
    retry_after = throttle_retry_after(*limits)
    if retry_after is not None:
        return throttled(request, retry_after)
    throttle_hit(*limits)
    return None
