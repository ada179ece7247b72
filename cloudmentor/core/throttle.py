"""Exact limits shared by every process and machine (SC-2, TM-9, decision 0091).

Each limit is a GCRA bucket (the "generic cell rate algorithm", a token bucket held as one
number): `limit` hits may come at once, then one more every `window / limit` seconds. So
the (limit + 1)th hit in a burst is refused, and over any long period at most `limit` hits
pass per `window`. The state is one database row per scope and subject
(`core.models.ThrottleBucket`), moved only by a single conditional UPDATE: two processes or
machines can never both take the last hit. Subjects are stored as a keyed hash.

- `throttle_take(*limits)`: count one hit against every limit if all allow it (all or
  nothing); else the seconds to wait. What a form calls *before* its costly step.
- `throttle_refund(*limits)`: give the hit back (a right password is not a failure).
- `throttle_retry_after(*limits)`: read only, to refuse a flood before any work.
- `throttle_hit(*limits)`: count a hit whatever the state (a bucket never overfills).
- `throttle_request(request, *limits)`: `throttle_take`, or the 429 page in the user's language.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Value
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.crypto import salted_hmac

from .models import ThrottleBucket

_MICROSECONDS = 1_000_000


@dataclass(frozen=True)
class Limit:
    """At most `limit` hits of `scope` for `subject` at once, and `limit` per `window` seconds over time."""

    scope: str
    subject: str
    limit: int
    window: int

    @property
    def digest(self) -> str:
        """The subject as stored: an HMAC keyed by SECRET_KEY (an address cannot be found by trying them all)."""
        return salted_hmac("cloudmentor.core.throttle", self.subject, algorithm="sha256").hexdigest()

    @property
    def interval_us(self) -> int:
        """Microseconds between two hits at the sustained rate (the emission interval)."""
        return max(1, self.window * _MICROSECONDS // max(1, self.limit))

    @property
    def tolerance_us(self) -> int:
        """How far ahead of now the bucket may run: `limit - 1` intervals, so exactly `limit` pass at once."""
        return (self.limit - 1) * self.interval_us

    def wait_seconds(self, arrival_us: int, now_us: int) -> int | None:
        """Seconds until one more hit passes, or None when one passes now."""
        if self.limit <= 0:
            return self.window
        early = arrival_us - self.tolerance_us - now_us
        return None if early <= 0 else max(1, math.ceil(early / _MICROSECONDS))


class _Refused(Exception):
    """Raised inside the take's transaction so that the hits already counted are undone."""


def _now() -> float:
    return time.time()


def _now_us() -> int:
    return int(_now() * _MICROSECONDS)


def _table() -> str:
    return connection.ops.quote_name(ThrottleBucket._meta.db_table)


def _take_one(limit: Limit, now_us: int) -> bool:
    """Count one hit if the bucket allows it, in one statement (an insert for a new subject).

    The database decides: the conditional update (GCRA: the arrival time may run at most
    `tolerance` ahead of now) locks the row, so no two processes can take the last hit.
    """
    if limit.limit <= 0:
        return False
    table = _table()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (scope, subject_digest, theoretical_arrival_us) VALUES (%s, %s, %s) "  # noqa: S608 - the table name is ours, every value a parameter
            f"ON CONFLICT (scope, subject_digest) DO UPDATE SET theoretical_arrival_us = "
            f"CASE WHEN {table}.theoretical_arrival_us > %s THEN {table}.theoretical_arrival_us ELSE %s END + %s "
            f"WHERE {table}.theoretical_arrival_us <= %s RETURNING theoretical_arrival_us",
            [
                limit.scope,
                limit.digest,
                now_us + limit.interval_us,
                now_us,
                now_us,
                limit.interval_us,
                now_us + limit.tolerance_us,
            ],
        )
        return cursor.fetchone() is not None


def throttle_retry_after(*limits: Limit) -> int | None:
    """Return in how many seconds to try again if any limit is reached, else None (counts nothing)."""
    if not limits:
        return None
    now_us = _now_us()
    # One (scope, digest) pair per limit: each is a lookup of the unique index.
    pairs = " OR ".join(["(scope = %s AND subject_digest = %s)"] * len(limits))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT scope, subject_digest, theoretical_arrival_us FROM {_table()} WHERE {pairs}",  # noqa: S608 - the table name is ours, every value a parameter
            [value for limit in limits for value in (limit.scope, limit.digest)],
        )
        arrivals = {(scope, digest): arrival for scope, digest, arrival in cursor.fetchall()}
    waits = [
        wait
        for limit in limits
        if (wait := limit.wait_seconds(arrivals.get((limit.scope, limit.digest), now_us), now_us)) is not None
    ]
    return max(waits) if waits else None


def throttle_take(*limits: Limit) -> int | None:
    """Count one hit against every limit if none is reached, and return None; else count nothing
    and return the seconds to wait. Exact under concurrency: the database decides each hit."""
    now_us = _now_us()
    if len(limits) == 1:
        return None if _take_one(limits[0], now_us) else throttle_retry_after(*limits) or 1
    try:
        with transaction.atomic():
            for limit in limits:
                if not _take_one(limit, now_us):
                    raise _Refused
    except _Refused:
        return throttle_retry_after(*limits) or 1
    return None


def throttle_refund(*limits: Limit) -> None:
    """Give back one hit taken by `throttle_take` (the attempt turned out not to count)."""
    for limit in limits:
        ThrottleBucket.objects.filter(scope=limit.scope, subject_digest=limit.digest).update(
            theoretical_arrival_us=F("theoretical_arrival_us") - Value(limit.interval_us)
        )


def throttle_hit(*limits: Limit) -> None:
    """Count one hit against each limit whatever its state; a full bucket stays just full."""
    now_us = _now_us()
    table = _table()
    with connection.cursor() as cursor:
        for limit in limits:
            full = now_us + limit.tolerance_us
            cursor.execute(
                f"INSERT INTO {table} (scope, subject_digest, theoretical_arrival_us) VALUES (%s, %s, %s) "  # noqa: S608 - the table name is ours, every value a parameter
                f"ON CONFLICT (scope, subject_digest) DO UPDATE SET theoretical_arrival_us = CASE "
                f"WHEN {table}.theoretical_arrival_us > %s THEN %s "
                f"WHEN {table}.theoretical_arrival_us > %s THEN {table}.theoretical_arrival_us + %s "
                f"ELSE %s END",
                [
                    limit.scope,
                    limit.digest,
                    now_us + limit.interval_us,
                    full,
                    full + limit.interval_us,
                    now_us,
                    limit.interval_us,
                    now_us + limit.interval_us,
                ],
            )


def throttle_purge() -> int:
    """Delete the buckets that are empty again (a past arrival time says the same as no row)."""
    deleted, _ = ThrottleBucket.objects.filter(theoretical_arrival_us__lt=_now_us()).delete()
    return deleted


def throttled(request: HttpRequest, retry_after: int) -> HttpResponse:
    """Answer 429 in the user's language, saying when to try again."""
    minutes = max(1, (retry_after + 59) // 60)
    response = render(request, "core/throttled.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def throttle_request(request: HttpRequest, *limits: Limit) -> HttpResponse | None:
    """Count this request against `limits`; once one is reached, the 429 page instead (not counted)."""
    retry_after = throttle_take(*limits)
    if retry_after is not None:
        return throttled(request, retry_after)
    return None
