"""PV-5 retention: raw records go after ANALYTICS_RAW_RETENTION_DAYS; rollups stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.analytics.models import RequestRecord, SpoolFile, StatCount
from cloudmentor.analytics.rollups import rollup_fill
from cloudmentor.analytics.selectors import analytics_export_for_user
from cloudmentor.analytics.services import analytics_erase_for_user, request_records_purge

from .factories import RequestRecordFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)


def aged(days: int, **fields: Any) -> RequestRecord:
    return RequestRecordFactory(requested_at=NOW - timedelta(days=days), **fields)


def test_pv5_raw_records_older_than_the_retention_are_purged_in_batches_and_rollups_kept() -> None:
    old = [aged(400), aged(380), aged(366)]
    kept = [aged(364), aged(10), aged(0)]
    rollup_fill(now=NOW)
    rollups_before = StatCount.objects.count()

    deleted = request_records_purge(now=NOW, batch_size=2)

    assert deleted == 3
    assert set(RequestRecord.objects.all()) == set(kept)
    assert not RequestRecord.objects.filter(pk__in=[record.pk for record in old]).exists()
    assert StatCount.objects.count() == rollups_before
    assert StatCount.objects.filter(metric="requests", frequency="day").order_by("bucket_at").first().value == 1


def test_pv5_a_refill_never_recomputes_what_the_purge_removed() -> None:
    """Rollups of purged days are the only count left: a refill from long ago keeps them."""
    aged(400)
    aged(400, ip_address="198.51.100.2")
    aged(10)
    rollup_fill(now=NOW)
    request_records_purge(now=NOW)
    before = sorted(StatCount.objects.values_list("metric", "frequency", "bucket_at", "subgroup", "value"))

    rollup_fill(now=NOW, refill_from=NOW - timedelta(days=500))

    assert sorted(StatCount.objects.values_list("metric", "frequency", "bucket_at", "subgroup", "value")) == before
    old_day = StatCount.objects.filter(metric="visitors", frequency="day").order_by("bucket_at").first()
    assert old_day is not None and old_day.value == 2


def test_pv5_purging_is_idempotent() -> None:
    aged(400)
    rollup_fill(now=NOW)

    assert request_records_purge(now=NOW) == 1
    assert request_records_purge(now=NOW) == 0


def test_pv5_the_retention_is_a_setting(settings: Any) -> None:
    settings.ANALYTICS_RAW_RETENTION_DAYS = 30
    aged(31)
    recent = aged(29)
    rollup_fill(now=NOW)

    request_records_purge(now=NOW)

    assert list(RequestRecord.objects.all()) == [recent]


def test_pv5_nothing_is_purged_before_the_rollups_have_counted_it() -> None:
    """A stalled rollup job must not turn the purge into a loss of statistics."""
    aged(400)

    assert request_records_purge(now=NOW) == 0
    assert RequestRecord.objects.count() == 1


def test_pv5_checkpoint_rows_of_purged_spool_files_go_too() -> None:
    record = aged(400)
    SpoolFile.objects.filter(pk=record.spool_file_id).update(finished_at=NOW - timedelta(days=399))
    live = aged(1)
    rollup_fill(now=NOW)

    request_records_purge(now=NOW)

    assert list(SpoolFile.objects.values_list("pk", flat=True)) == [live.spool_file_id]


def test_pv5_the_purge_command_is_scheduled_and_runs(settings: Any, capsys: pytest.CaptureFixture[str]) -> None:
    aged(400)
    with time_machine.travel(NOW, tick=False):
        rollup_fill()
        call_command("analytics_purge")

    assert "1 raw record(s)" in capsys.readouterr().out
    assert {"analytics_ingest", "analytics_rollup", "analytics_purge"} <= set(settings.SCHEDULER_JOBS)


def test_pv9_export_holds_every_recorded_request_of_the_member() -> None:
    member, other = UserFactory(), UserFactory()
    aged(3, user=member, path="/a/", query="page=2")
    aged(2, user=member, path="/b/")
    aged(1, user=other, path="/c/")

    rows = list(analytics_export_for_user(user=member)["requests"])

    assert [row["url"] for row in rows] == ["/a/?page=2", "/b/"]
    assert set(rows[0]) >= {"time", "url", "ip_address", "browser", "operating_system"}


def test_pv10_erasure_detaches_the_members_requests_only() -> None:
    """The rows stay as security records until the purge, but no longer name the member."""
    member, other = UserFactory(), UserFactory()
    aged(3, user=member)
    aged(2, user=member)
    kept = aged(1, user=other)

    assert analytics_erase_for_user(user=member) == {"requests": 2}
    assert RequestRecord.objects.filter(user=None).count() == 2
    assert list(RequestRecord.objects.exclude(user=None)) == [kept]
