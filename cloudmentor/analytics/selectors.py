"""Reads of the request log: the statistics dashboard, a member's requests, exports."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone

from .models import Device, FillState, Frequency, RequestRecord, StatCount
from .rollups import HISTOGRAM_BOUNDS, METRICS, OVERFLOW, bucket_next, histogram_label, local_zone

# Tables of the dashboard, in display order: metric → (rows shown, title).
TABLES = ("pages", "statuses", "browsers", "systems", "devices")
# A range of at most this many days is drawn hour by hour.
HOURLY_MAX_DAYS = 2
ACTIVITY_PAGE_SIZE = 50


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=local_zone())


@dataclass(frozen=True)
class TableRow:
    label: str
    value: int
    share: float  # of the range's requests, 0..1

    @property
    def percent(self) -> float:
        return self.share * 100


@dataclass
class Dashboard:
    start_on: date
    end_on: date
    frequency: str
    buckets: list[datetime] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    visitors: list[int] = field(default_factory=list)
    members: list[int] = field(default_factory=list)
    median_times: list[int] = field(default_factory=list)  # µs
    slow_times: list[int] = field(default_factory=list)  # p95, µs
    total_requests: int = 0
    daily_visitors: float = 0
    daily_members: float = 0
    percentiles: dict[str, int | None] = field(default_factory=dict)  # µs upper bounds, from the histogram
    tables: dict[str, list[TableRow]] = field(default_factory=dict)
    filled_until: datetime | None = None

    @property
    def days(self) -> int:
        return (self.end_on - self.start_on).days + 1


def dashboard_get(*, start_on: date, end_on: date, table_limit: int | None = 15) -> Dashboard:
    """Return the statistics of local days `start_on`..`end_on`, read from the rollups only."""
    days = (end_on - start_on).days + 1
    frequency = Frequency.HOUR if days <= HOURLY_MAX_DAYS else Frequency.DAY
    start, end = day_start(start_on), day_start(end_on + timedelta(days=1))
    dashboard = Dashboard(start_on=start_on, end_on=end_on, frequency=frequency)
    _fill_series(dashboard, start, end)
    _fill_averages(dashboard, start, end)
    dashboard.percentiles = _range_percentiles(start, end)
    dashboard.tables = {
        metric: stat_table(metric=metric, start_on=start_on, end_on=end_on, limit=table_limit, total=dashboard.total_requests)
        for metric in TABLES
    }  # fmt: skip
    dashboard.filled_until = (
        FillState.objects.filter(metric__in=list(METRICS), frequency=Frequency.DAY).order_by("filled_until").values_list("filled_until", flat=True).first()
    )  # fmt: skip
    return dashboard


def _fill_series(dashboard: Dashboard, start: datetime, end: datetime) -> None:
    rows = StatCount.objects.filter(
        Q(metric__in=["requests", "visitors", "members"]) | Q(metric="response_times", subgroup__in=["p50", "p95"]),
        frequency=dashboard.frequency,
        bucket_at__gte=start,
        bucket_at__lt=end,
    ).values_list("metric", "subgroup", "bucket_at", "value")
    series: dict[str, dict[datetime, int]] = defaultdict(dict)
    for metric, subgroup, bucket_at, value in rows:
        series[f"{metric}{subgroup}"][bucket_at] = value
    bucket = start
    while bucket < end:
        dashboard.buckets.append(bucket)
        bucket = bucket_next(bucket, dashboard.frequency)
    for name, target in [
        ("requests", dashboard.requests),
        ("visitors", dashboard.visitors),
        ("members", dashboard.members),
        ("response_timesp50", dashboard.median_times),
        ("response_timesp95", dashboard.slow_times),
    ]:
        target.extend(series[name].get(bucket, 0) for bucket in dashboard.buckets)
    dashboard.total_requests = sum(dashboard.requests)


def _fill_averages(dashboard: Dashboard, start: datetime, end: datetime) -> None:
    """Unique visitors and members are counted per day: the range shows their daily mean."""
    totals = dict(
        StatCount.objects.filter(
            metric__in=["visitors", "members"], frequency=Frequency.DAY, bucket_at__gte=start, bucket_at__lt=end
        )
        .values_list("metric")
        .annotate(total=Sum("value"))
        .values_list("metric", "total")
    )
    elapsed = min(dashboard.days, max(1, (timezone.localdate() - dashboard.start_on).days + 1))
    dashboard.daily_visitors = (totals.get("visitors") or 0) / elapsed
    dashboard.daily_members = (totals.get("members") or 0) / elapsed


def _range_percentiles(start: datetime, end: datetime) -> dict[str, int | None]:
    """Return p50/p95/p99 of the range as histogram bucket upper bounds (µs; None: beyond the last)."""
    counts = dict(
        StatCount.objects.filter(
            metric="response_time_histogram", frequency=Frequency.DAY, bucket_at__gte=start, bucket_at__lt=end
        )
        .values_list("subgroup")
        .annotate(total=Sum("value"))
        .values_list("subgroup", "total")
    )
    labels = [(bound, histogram_label(bound)) for bound in HISTOGRAM_BOUNDS] + [(None, OVERFLOW)]
    total = sum(counts.values())
    result: dict[str, int | None] = {}
    for rank in (50, 95, 99):
        if not total:
            result[f"p{rank}"] = 0
            continue
        needed = rank / 100 * total
        seen = 0
        for bound, label in labels:
            seen += counts.get(label, 0)
            if seen >= needed:
                result[f"p{rank}"] = bound
                break
    return result


def stat_table(
    *, metric: str, start_on: date, end_on: date, limit: int | None = None, total: int | None = None
) -> list[TableRow]:
    """Return a metric's subgroups over local days `start_on`..`end_on`, largest first."""
    start, end = day_start(start_on), day_start(end_on + timedelta(days=1))
    rows = (
        StatCount.objects.filter(metric=metric, frequency=Frequency.DAY, bucket_at__gte=start, bucket_at__lt=end)
        .values_list("subgroup")
        .annotate(total=Sum("value"))
        .order_by("-total", "subgroup")
        .values_list("subgroup", "total")
    )
    if limit is not None:
        rows = rows[:limit]
    if total is None:
        total = (
            StatCount.objects.filter(
                metric="requests", frequency=Frequency.DAY, bucket_at__gte=start, bucket_at__lt=end
            ).aggregate(total=Sum("value"))["total"]
            or 0
        )
    labels = dict(Device.choices) if metric == "devices" else {}
    return [
        TableRow(label=str(labels.get(subgroup, subgroup)), value=value, share=value / total if total else 0)
        for subgroup, value in rows
    ]


def request_record_list(*, user: Any, before: str = "", limit: int = ACTIVITY_PAGE_SIZE) -> list[RequestRecord]:
    """Return a member's most recent requests, newest first, one page after cursor `before`.

    Keyset pagination on (time, id): a page costs one indexed query however many
    requests the member has made.
    """
    records = RequestRecord.objects.filter(user=user)
    cursor = _parse_cursor(before)
    if cursor is not None:
        at, pk = cursor
        records = records.filter(Q(requested_at__lt=at) | Q(requested_at=at, pk__lt=pk))
    return list(records.order_by("-requested_at", "-pk")[: limit + 1])


def record_cursor(record: RequestRecord) -> str:
    return f"{record.requested_at.timestamp():.6f}_{record.pk}"


def _parse_cursor(value: str) -> tuple[datetime, int] | None:
    stamp, _, pk = value.partition("_")
    try:
        return datetime.fromtimestamp(float(stamp), timezone.get_fixed_timezone(0)), int(pk)
    except (ValueError, OverflowError, OSError):
        return None


def analytics_export_for_user(*, user: Any) -> dict[str, Any]:
    """Return everything the request log holds about a member (PV-9), oldest first.

    ``requests`` is an iterator over a database cursor (one query): a year of requests is
    streamed into the export file, never held in memory.
    """
    return {"requests": _requests_of(user)}


def _requests_of(user: Any) -> Iterator[dict[str, Any]]:
    for record in RequestRecord.objects.filter(user=user).order_by("requested_at", "pk").iterator(chunk_size=2000):
        yield {
            "time": record.requested_at.isoformat(),
            "method": record.method,
            "url": record.url,
            "status": record.status,
            "duration_ms": record.duration_milliseconds,
            "ip_address": record.ip_address,
            "browser": f"{record.browser} {record.browser_version}".strip(),
            "operating_system": record.operating_system,
            "device": record.device,
        }
