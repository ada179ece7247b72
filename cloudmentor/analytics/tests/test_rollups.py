"""PV-5 statistics: hourly and daily rollups, idempotent and resumable per metric."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.analytics import rollups
from cloudmentor.analytics.models import FillState, Frequency, StatCount
from cloudmentor.analytics.rollups import METRICS, rollup_fill

from .factories import RequestRecordFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 11, 12, 10, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def values(metric: str, frequency: str = Frequency.DAY) -> dict[tuple[datetime, str], int]:
    rows = StatCount.objects.filter(metric=metric, frequency=frequency)
    return {(row.bucket_at, row.subgroup): row.value for row in rows}


def day(number: int) -> datetime:
    return datetime(2026, 3, number, tzinfo=PARIS)


@pytest.fixture
def traffic() -> dict[str, Any]:
    """A small day: two visitors, one member, a few pages and statuses."""
    alice, bob = UserFactory(), UserFactory()
    RequestRecordFactory(requested_at=at(10, 8, 5), ip_address="203.0.113.1", path="/", duration_microseconds=2000)
    RequestRecordFactory(requested_at=at(10, 8, 20), ip_address="203.0.113.1", path="/courses/", status=200)
    RequestRecordFactory(
        requested_at=at(10, 9, 1), ip_address="203.0.113.2", path="/", user=alice, browser="Firefox", device="mobile"
    )
    RequestRecordFactory(requested_at=at(10, 9, 2), ip_address="203.0.113.2", path="/missing/", status=404, user=alice)
    RequestRecordFactory(
        requested_at=at(10, 9, 3), ip_address="203.0.113.3", path="/", user=bob, duration_microseconds=90_000
    )
    return {"alice": alice, "bob": bob}


def test_pv5_daily_counts_of_requests_visitors_members_pages_and_statuses(traffic: dict[str, Any]) -> None:
    rollup_fill(now=NOW)

    assert values("requests") == {(day(10), ""): 5}
    assert values("visitors") == {(day(10), ""): 3}
    assert values("members") == {(day(10), ""): 2}
    assert values("pages") == {(day(10), "/"): 3, (day(10), "/courses/"): 1, (day(10), "/missing/"): 1}
    assert values("statuses") == {(day(10), "200"): 4, (day(10), "404"): 1}
    assert values("browsers") == {(day(10), "Chrome"): 4, (day(10), "Firefox"): 1}
    assert values("systems") == {(day(10), "Windows"): 5}
    assert values("devices") == {(day(10), "desktop"): 4, (day(10), "mobile"): 1}


def test_pv5_hourly_counts_split_the_day(traffic: dict[str, Any]) -> None:
    rollup_fill(now=NOW)

    assert values("requests", Frequency.HOUR) == {(at(10, 8), ""): 2, (at(10, 9), ""): 3}
    assert values("visitors", Frequency.HOUR) == {(at(10, 8), ""): 1, (at(10, 9), ""): 2}
    assert values("members", Frequency.HOUR) == {(at(10, 9), ""): 2}


def test_pv5_response_time_percentiles_and_histogram(traffic: dict[str, Any]) -> None:
    rollup_fill(now=NOW)

    percentiles = values("response_times")
    assert percentiles[(day(10), "p50")] == 5000
    assert percentiles[(day(10), "p99")] == 90_000
    histogram = values("response_time_histogram")
    assert sum(histogram.values()) == 5
    assert histogram[(day(10), rollups.histogram_label(2000))] == 1
    assert histogram[(day(10), rollups.histogram_label(100_000))] == 1


def test_pv5_days_are_local_days() -> None:
    """23:30 UTC on 9 March is 00:30 on 10 March in Paris: it counts for the 10th."""
    RequestRecordFactory(requested_at=datetime(2026, 3, 9, 23, 30, tzinfo=UTC))

    rollup_fill(now=NOW)

    assert values("requests") == {(day(10), ""): 1}


def test_pv5_rollups_are_idempotent(traffic: dict[str, Any]) -> None:
    rollup_fill(now=NOW)
    first = sorted(StatCount.objects.values_list("metric", "frequency", "bucket_at", "subgroup", "value"))

    rollup_fill(now=NOW)
    rollup_fill(now=NOW, refill_from=at(1, 0))

    assert sorted(StatCount.objects.values_list("metric", "frequency", "bucket_at", "subgroup", "value")) == first


def test_pv5_every_metric_has_a_fill_state_per_frequency(traffic: dict[str, Any]) -> None:
    rollup_fill(now=NOW)

    states = {(s.metric, s.frequency): s.filled_until for s in FillState.objects.all()}
    assert len(states) == 2 * len(METRICS) - 1  # top pages are kept per day only
    assert ("pages", "hour") not in states
    assert states[("requests", "hour")] == at(11, 12)
    assert states[("requests", "day")] == day(11)


def test_pv5_a_run_that_fails_halfway_resumes_where_it_stopped(
    traffic: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks done before the failure stay; the fill state says where to resume."""
    monkeypatch.setitem(rollups.CHUNK_BUCKETS, Frequency.DAY, 1)
    later = NOW + timedelta(days=3)
    RequestRecordFactory(requested_at=at(12, 10))
    original = METRICS["requests"]

    def failing(start: datetime, end: datetime, frequency: str) -> Any:
        if start >= day(12):
            raise RuntimeError("database went away")
        return original.compute(start, end, frequency)

    monkeypatch.setitem(METRICS, "requests", rollups.Metric("requests", failing))
    with pytest.raises(RuntimeError):
        rollup_fill(now=later, metrics=["requests"], frequencies=[Frequency.DAY])
    state = FillState.objects.get(metric="requests", frequency="day")
    assert state.filled_until == day(12)
    assert values("requests") == {(day(10), ""): 5}

    monkeypatch.setitem(METRICS, "requests", original)
    rollup_fill(now=later, metrics=["requests"], frequencies=[Frequency.DAY])

    assert values("requests") == {(day(10), ""): 5, (day(12), ""): 1}
    assert FillState.objects.get(metric="requests", frequency="day").filled_until == day(14)


def test_pv5_a_record_ingested_late_reaches_its_bucket_within_the_look_back(traffic: dict[str, Any]) -> None:
    rollup_fill(now=at(10, 10, 5))
    RequestRecordFactory(requested_at=at(10, 9, 59))  # a spool line stored a few minutes late

    rollup_fill(now=at(10, 10, 10))

    assert values("requests", Frequency.HOUR)[(at(10, 9), "")] == 4


def test_pv5_the_current_hour_and_day_are_counted_so_far() -> None:
    RequestRecordFactory(requested_at=at(11, 12, 1))

    rollup_fill(now=NOW)
    RequestRecordFactory(requested_at=at(11, 12, 5))
    rollup_fill(now=NOW)

    assert values("requests", Frequency.HOUR) == {(at(11, 12), ""): 2}
    assert values("requests") == {(day(11), ""): 2}


def test_pv5_top_pages_keep_the_largest_per_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rollups, "TOP_PAGES_PER_BUCKET", 2)
    for path, count in [("/a/", 3), ("/b/", 2), ("/c/", 1)]:
        for _ in range(count):
            RequestRecordFactory(requested_at=at(10, 8), path=path)

    rollup_fill(now=NOW)

    assert values("pages") == {(day(10), "/a/"): 3, (day(10), "/b/"): 2}


def test_pv5_the_rollup_command_fills_and_refills(traffic: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    with time_machine.travel(NOW, tick=False):
        call_command("analytics_rollup")
        call_command("analytics_rollup", "--refill-from", "2026-03-01")

    assert StatCount.objects.filter(metric="requests", frequency="day").exists()
    assert "series" in capsys.readouterr().out
