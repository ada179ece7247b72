"""Hourly and daily rollups of the request log (the Zulip ``analytics/lib/counts.py`` pattern).

Each metric has a fill state per frequency: every bucket before ``filled_until`` is
final. A run resumes there, recomputes a short look-back window (records of the last
seconds reach the database a little after they happen) and the current, unfinished
bucket, then moves the fill state. Each chunk of buckets is replaced (delete + insert)
with its fill state in one transaction, so a run can stop anywhere and the next one
resumes; running twice changes nothing.

Hours start on the UTC hour; days start at local midnight (settings.TIME_ZONE).
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone

from .models import FillState, Frequency, RequestRecord, StatCount

# Late records within this window still reach their bucket.
DEFAULT_LOOKBACK = timedelta(hours=2)
# Pages kept per bucket (the dashboard's "top pages" adds the buckets' counts).
TOP_PAGES_PER_BUCKET = 100
SUBGROUP_MAX_LENGTH = 255
PERCENTILES = (50, 90, 95, 99)
# Upper bounds (µs) of the response-time histogram: percentiles of any range come from it.
HISTOGRAM_BOUNDS = (
    1_000, 2_000, 3_000, 5_000, 7_000, 10_000, 15_000, 20_000, 30_000, 50_000, 70_000,
    100_000, 150_000, 200_000, 300_000, 500_000, 700_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000,
)  # fmt: skip
OVERFLOW = "inf"

Bucketed = dict[tuple[datetime, str], int]


@dataclass(frozen=True)
class Metric:
    name: str
    # Fill [start, end) and return {(bucket start, subgroup): value}.
    compute: Callable[[datetime, datetime, str], Bucketed]


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def bucket_floor(moment: datetime, frequency: str) -> datetime:
    """Return the start of the bucket holding `moment`."""
    if frequency == Frequency.HOUR:
        return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return moment.astimezone(local_zone()).replace(hour=0, minute=0, second=0, microsecond=0)


def bucket_next(start: datetime, frequency: str) -> datetime:
    if frequency == Frequency.HOUR:
        return start + timedelta(hours=1)
    # A local day lasts 23, 24 or 25 hours: step in wall-clock time, then re-localize.
    following = (start.astimezone(local_zone()) + timedelta(days=1)).date()
    return datetime(following.year, following.month, following.day, tzinfo=local_zone())


def _truncate(frequency: str) -> TruncHour | TruncDay:
    if frequency == Frequency.HOUR:
        return TruncHour("requested_at", tzinfo=UTC)
    return TruncDay("requested_at", tzinfo=local_zone())


def _records(start: datetime, end: datetime) -> QuerySet[RequestRecord]:
    return RequestRecord.objects.filter(requested_at__gte=start, requested_at__lt=end)


def _normalize(bucket: datetime, frequency: str) -> datetime:
    # SQLite returns naive datetimes in the truncation's zone on some paths.
    if timezone.is_naive(bucket):
        bucket = bucket.replace(tzinfo=UTC if frequency == Frequency.HOUR else local_zone())
    return bucket_floor(bucket, frequency)


def _grouped_count(field: str | None) -> Callable[[datetime, datetime, str], Bucketed]:
    def compute(start: datetime, end: datetime, frequency: str) -> Bucketed:
        fields = ["bucket", field] if field else ["bucket"]
        rows = _records(start, end).annotate(bucket=_truncate(frequency)).values(*fields).annotate(n=Count("id"))
        counts: Bucketed = defaultdict(int)
        for row in rows.order_by():
            subgroup = str(row[field])[:SUBGROUP_MAX_LENGTH] if field else ""
            counts[(_normalize(row["bucket"], frequency), subgroup)] += row["n"]
        return counts

    return compute


def _distinct_count(field: str) -> Callable[[datetime, datetime, str], Bucketed]:
    def compute(start: datetime, end: datetime, frequency: str) -> Bucketed:
        rows = (
            _records(start, end)
            .exclude(**{f"{field}__isnull": True})
            .annotate(bucket=_truncate(frequency))
            .values("bucket")
            .annotate(n=Count(field, distinct=True))
        )
        counts: Bucketed = defaultdict(int)
        for row in rows.order_by():
            counts[(_normalize(row["bucket"], frequency), "")] += row["n"]
        return counts

    return compute


def _top_pages(start: datetime, end: datetime, frequency: str) -> Bucketed:
    counts = _grouped_count("path")(start, end, frequency)
    per_bucket: dict[datetime, list[tuple[int, str]]] = defaultdict(list)
    for (bucket, path), n in counts.items():
        per_bucket[bucket].append((n, path))
    top: Bucketed = {}
    for bucket, pages in per_bucket.items():
        for n, path in sorted(pages, key=lambda page: (-page[0], page[1]))[:TOP_PAGES_PER_BUCKET]:
            top[(bucket, path)] = n
    return top


def _durations(start: datetime, end: datetime, frequency: str) -> dict[datetime, list[int]]:
    rows = _records(start, end).annotate(bucket=_truncate(frequency)).values_list("bucket", "duration_microseconds")
    durations: dict[datetime, list[int]] = defaultdict(list)
    for bucket, duration in rows.order_by().iterator(chunk_size=20_000):
        durations[bucket].append(duration)
    return {_normalize(bucket, frequency): values for bucket, values in durations.items()}


def percentile(ordered: list[int], rank: float) -> int:
    """Return the nearest-rank percentile of an ordered, non-empty list."""
    return ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)]


def _response_times(start: datetime, end: datetime, frequency: str) -> Bucketed:
    values: Bucketed = {}
    for bucket, durations in _durations(start, end, frequency).items():
        durations.sort()
        for rank in PERCENTILES:
            values[(bucket, f"p{rank}")] = percentile(durations, rank)
    return values


def histogram_label(bound: int | None) -> str:
    return OVERFLOW if bound is None else f"{bound:09d}"


def _response_time_histogram(start: datetime, end: datetime, frequency: str) -> Bucketed:
    values: Bucketed = defaultdict(int)
    for bucket, durations in _durations(start, end, frequency).items():
        for duration in durations:
            index = bisect_left(HISTOGRAM_BOUNDS, duration)
            bound = HISTOGRAM_BOUNDS[index] if index < len(HISTOGRAM_BOUNDS) else None
            values[(bucket, histogram_label(bound))] += 1
    return values


METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in [
        Metric("requests", _grouped_count(None)),
        Metric("visitors", _distinct_count("ip_address")),
        Metric("members", _distinct_count("user")),
        Metric("pages", _top_pages),
        Metric("statuses", _grouped_count("status")),
        Metric("browsers", _grouped_count("browser")),
        Metric("systems", _grouped_count("operating_system")),
        Metric("devices", _grouped_count("device")),
        Metric("response_times", _response_times),
        Metric("response_time_histogram", _response_time_histogram),
    ]
}
# Buckets per transaction: a chunk is recomputed as a whole.
CHUNK_BUCKETS = {Frequency.HOUR: 24, Frequency.DAY: 1}


def _first_record_at() -> datetime | None:
    first = RequestRecord.objects.order_by("requested_at").values_list("requested_at", flat=True).first()
    return first


def rollup_fill(
    *,
    metrics: Iterable[str] | None = None,
    frequencies: Iterable[str] = (Frequency.HOUR, Frequency.DAY),
    now: datetime | None = None,
    lookback: timedelta = DEFAULT_LOOKBACK,
    refill_from: datetime | None = None,
) -> dict[str, int]:
    """Fill every metric up to `now`; return how many chunks each (metric/frequency) wrote."""
    now = now or timezone.now()
    first_record_at = _first_record_at()
    written: dict[str, int] = {}
    for name in metrics or METRICS:
        for frequency in frequencies:
            written[f"{name}/{frequency}"] = _fill_metric(
                METRICS[name], str(frequency), now=now, lookback=lookback, refill_from=refill_from,
                first_record_at=first_record_at,
            )  # fmt: skip
    return written


def _fill_metric(
    metric: Metric,
    frequency: str,
    *,
    now: datetime,
    lookback: timedelta,
    refill_from: datetime | None,
    first_record_at: datetime | None,
) -> int:
    state = FillState.objects.filter(metric=metric.name, frequency=frequency).first()
    current = bucket_floor(now, frequency)
    if refill_from is not None:
        start = bucket_floor(refill_from, frequency)
    elif state is not None:
        start = min(state.filled_until, bucket_floor(now - lookback, frequency))
    elif first_record_at is not None:
        start = bucket_floor(first_record_at, frequency)
    else:
        start = current
    chunks = 0
    while start <= current:
        end = start
        for _ in range(CHUNK_BUCKETS[Frequency(frequency)]):
            end = bucket_next(end, frequency)
            if end > current:
                break
        _fill_chunk(metric, frequency, start=start, end=end, filled_until=min(end, current))
        chunks += 1
        start = end
    return chunks


@transaction.atomic
def _fill_chunk(metric: Metric, frequency: str, *, start: datetime, end: datetime, filled_until: datetime) -> None:
    """Replace the values of [start, end) and move the fill state, all or nothing."""
    state, created = FillState.objects.select_for_update().get_or_create(
        metric=metric.name, frequency=frequency, defaults={"filled_until": filled_until}
    )
    values = metric.compute(start, end, frequency)
    StatCount.objects.filter(metric=metric.name, frequency=frequency, bucket_at__gte=start, bucket_at__lt=end).delete()
    StatCount.objects.bulk_create(
        [
            StatCount(metric=metric.name, frequency=frequency, bucket_at=bucket, subgroup=subgroup, value=value)
            for (bucket, subgroup), value in values.items()
            if start <= bucket < end
        ],
        batch_size=2000,
    )
    if not created and filled_until > state.filled_until:  # a refill of the past never moves it back
        state.filled_until = filled_until
        state.save(update_fields=["filled_until", "updated_at"])
