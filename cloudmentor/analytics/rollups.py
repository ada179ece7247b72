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
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Aggregate, Case, CharField, Count, F, IntegerField, QuerySet, Sum, Value, When, Window
from django.db.models.functions import RowNumber, TruncDay, TruncHour
from django.utils import timezone

from .models import FillState, Frequency, RequestRecord, StatCount

# The fill-state row where the purge notes the time before which raw records are gone.
PURGED_MARK = "raw_records_purged"
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
    frequencies: tuple[str, ...] = (Frequency.HOUR, Frequency.DAY)
    # A day is the sum of its hours: counted from the hourly rollup when it is filled.
    additive: bool = False


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
    """Count the most requested pages of each bucket; the ranking happens in the database."""
    ranked = (
        _records(start, end)
        .annotate(bucket=_truncate(frequency))
        .values("bucket", "path")
        .annotate(n=Count("id"))
        .annotate(rank=Window(RowNumber(), partition_by=[F("bucket")], order_by=[F("n").desc(), F("path")]))
        .filter(rank__lte=TOP_PAGES_PER_BUCKET)
        .order_by()
    )
    return {(_normalize(row["bucket"], frequency), row["path"][:SUBGROUP_MAX_LENGTH]): row["n"] for row in ranked}


def _durations(start: datetime, end: datetime, frequency: str) -> dict[datetime, list[int]]:
    rows = _records(start, end).annotate(bucket=_truncate(frequency)).values_list("bucket", "duration_microseconds")
    durations: dict[datetime, list[int]] = defaultdict(list)
    for bucket, duration in rows.order_by().iterator(chunk_size=20_000):
        durations[bucket].append(duration)
    return {_normalize(bucket, frequency): values for bucket, values in durations.items()}


def percentile(ordered: list[int], rank: float) -> int:
    """Return the nearest-rank percentile of an ordered, non-empty list."""
    return ordered[max(0, math.ceil(rank / 100 * len(ordered)) - 1)]


class PercentileDisc(Aggregate):
    """PostgreSQL's nearest-rank percentile: the same value as :func:`percentile`."""

    function = "percentile_disc"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = IntegerField()

    def __init__(self, expression: str, fraction: float) -> None:
        super().__init__(expression, fraction=float(fraction))


def _response_times(start: datetime, end: datetime, frequency: str) -> Bucketed:
    values: Bucketed = {}
    if connection.vendor == "postgresql":
        # Sorted inside the database: nothing but the results crosses the wire.
        rows = (
            _records(start, end)
            .annotate(bucket=_truncate(frequency))
            .values("bucket")
            .annotate(**{f"p{rank}": PercentileDisc("duration_microseconds", rank / 100) for rank in PERCENTILES})
        )
        for row in rows.order_by():
            for rank in PERCENTILES:
                values[(_normalize(row["bucket"], frequency), f"p{rank}")] = row[f"p{rank}"]
        return values
    for bucket, durations in _durations(start, end, frequency).items():
        durations.sort()
        for rank in PERCENTILES:
            values[(bucket, f"p{rank}")] = percentile(durations, rank)
    return values


def histogram_label(bound: int | None) -> str:
    return OVERFLOW if bound is None else f"{bound:09d}"


def _response_time_histogram(start: datetime, end: datetime, frequency: str) -> Bucketed:
    slot = Case(
        *[When(duration_microseconds__lte=bound, then=Value(histogram_label(bound))) for bound in HISTOGRAM_BOUNDS],
        default=Value(OVERFLOW),
        output_field=CharField(),
    )
    rows = _records(start, end).annotate(bucket=_truncate(frequency), slot=slot).values("bucket", "slot")
    values: Bucketed = defaultdict(int)
    for row in rows.annotate(n=Count("id")).order_by():
        values[(_normalize(row["bucket"], frequency), row["slot"])] += row["n"]
    return values


METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in [
        Metric("requests", _grouped_count(None), additive=True),
        Metric("visitors", _distinct_count("ip_address")),
        Metric("members", _distinct_count("user")),
        # Per day only: an hour's top list is about as long as the hour's raw log.
        Metric("pages", _top_pages, frequencies=(Frequency.DAY,)),
        Metric("statuses", _grouped_count("status"), additive=True),
        Metric("browsers", _grouped_count("browser"), additive=True),
        Metric("systems", _grouped_count("operating_system"), additive=True),
        Metric("devices", _grouped_count("device"), additive=True),
        Metric("response_times", _response_times),
        Metric("response_time_histogram", _response_time_histogram, additive=True),
    ]
}
# Buckets per transaction (about a month): a chunk is recomputed as a whole. Large chunks
# make a backfill scan the log in long runs; a scheduled run only redoes the last hours.
CHUNK_BUCKETS = {Frequency.HOUR: 31 * 24, Frequency.DAY: 31}


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
    purged_before = (
        FillState.objects.filter(metric=PURGED_MARK, frequency=Frequency.DAY)
        .values_list("filled_until", flat=True)
        .first()
    )
    written: dict[str, int] = {}
    for name in metrics or METRICS:
        for frequency in frequencies:
            if frequency not in METRICS[name].frequencies:
                continue
            written[f"{name}/{frequency}"] = _fill_metric(
                METRICS[name], str(frequency), now=now, lookback=lookback, refill_from=refill_from,
                first_record_at=first_record_at, purged_before=purged_before,
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
    purged_before: datetime | None,
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
    if purged_before is not None:
        # The raw records of earlier buckets are gone (some or all): their rollups, kept,
        # are the only count left. Never recompute them.
        first_whole = bucket_floor(purged_before, frequency)
        if first_whole < purged_before:
            first_whole = bucket_next(first_whole, frequency)
        start = max(start, min(first_whole, current))
    chunks = 0
    while start <= current:
        skip_to = _empty_until(metric, frequency, start=start, current=current)
        if skip_to > start:
            # Nothing to count and nothing stored up to the next record: move on in one step.
            _fill_chunk(metric, frequency, start=start, end=skip_to, filled_until=skip_to, compute=False)
            start = skip_to
            continue
        end = start
        for _ in range(CHUNK_BUCKETS[Frequency(frequency)]):
            end = bucket_next(end, frequency)
            if end > current:
                break
        from_hours = frequency == Frequency.DAY and _hours_cover(metric, start=start, end=min(end, now))
        _fill_chunk(metric, frequency, start=start, end=end, filled_until=min(end, current), from_hours=from_hours)
        chunks += 1
        start = end
    return chunks


def _hours_cover(metric: Metric, *, start: datetime, end: datetime) -> bool:
    """Tell whether the days of [start, end) can be added up from the metric's hourly rollup:
    the metric is additive, its hours are filled that far, and every local midnight falls on
    a UTC hour (true of every whole-hour time zone)."""
    if not metric.additive or Frequency.HOUR not in metric.frequencies:
        return False
    filled = (
        FillState.objects.filter(metric=metric.name, frequency=Frequency.HOUR)
        .values_list("filled_until", flat=True)
        .first()
    )
    if filled is None or filled < bucket_floor(end, Frequency.HOUR):
        return False
    day = start
    while day <= end:
        offset = day.utcoffset()
        if offset is None or offset.total_seconds() % 3600:
            return False
        day = bucket_next(day, Frequency.DAY)
    return True


def _sum_of_hours(metric: Metric, start: datetime, end: datetime) -> Bucketed:
    rows = (
        StatCount.objects.filter(metric=metric.name, frequency=Frequency.HOUR, bucket_at__gte=start, bucket_at__lt=end)
        .annotate(day=TruncDay("bucket_at", tzinfo=local_zone()))
        .values("day", "subgroup")
        .annotate(total=Sum("value"))
        .order_by()
    )
    values: Bucketed = defaultdict(int)
    for row in rows:
        values[(_normalize(row["day"], Frequency.DAY), row["subgroup"])] += row["total"]
    return values


def _empty_until(metric: Metric, frequency: str, *, start: datetime, current: datetime) -> datetime:
    """Return the start of the first bucket from `start` on that holds a record (or `current`),
    if no rollup value is stored before it either; otherwise return `start`."""
    next_record_at = (
        RequestRecord.objects.filter(requested_at__gte=start)
        .order_by("requested_at")
        .values_list("requested_at", flat=True)
        .first()
    )
    next_start = min(bucket_floor(next_record_at, frequency), current) if next_record_at else current
    if next_start <= start:
        return start
    stored = StatCount.objects.filter(
        metric=metric.name, frequency=frequency, bucket_at__gte=start, bucket_at__lt=next_start
    ).exists()
    return start if stored else next_start


@transaction.atomic
def _fill_chunk(
    metric: Metric,
    frequency: str,
    *,
    start: datetime,
    end: datetime,
    filled_until: datetime,
    compute: bool = True,
    from_hours: bool = False,
) -> None:
    """Replace the values of [start, end) and move the fill state, all or nothing."""
    state, created = FillState.objects.select_for_update().get_or_create(
        metric=metric.name, frequency=frequency, defaults={"filled_until": filled_until}
    )
    if not compute:
        values: Bucketed = {}
    elif from_hours:
        values = _sum_of_hours(metric, start, end)
    else:
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
