"""Writes of the request log: ingestion, rollups, retention, erasure."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db.models import Exists, Min, OuterRef
from django.utils import timezone

from . import spool
from .ingestion import DEFAULT_BATCH_SIZE, IngestReport, spool_ingest
from .models import FillState, Frequency, RequestRecord, SpoolFile
from .rollups import METRICS, PURGED_MARK, rollup_fill

logger = logging.getLogger(__name__)

PURGE_BATCH_SIZE = 10_000


def request_records_ingest(*, directory: Path | None = None, batch_size: int = DEFAULT_BATCH_SIZE) -> IngestReport:
    """Store every complete spool line not stored yet (exactly once); delete finished files."""
    return spool_ingest(directory=directory, batch_size=batch_size)


@dataclass(frozen=True)
class GeneratedRequest:
    """A request made up elsewhere (the demo's traffic): what a spool line holds."""

    requested_at: datetime
    ip_address: str
    method: str
    path: str
    user_agent: str
    status: int
    duration_microseconds: int
    query: str = ""
    user_id: int | None = None


def request_records_load(*, requests: Iterable[GeneratedRequest], name: str) -> int:
    """Store generated requests through the spool and its exactly-once ingestion; return how many were stored.

    The lines go into a spool file called `name` (ending ".spool"), in a folder of its own:
    its `SpoolFile` row keeps the name, which says where the records came from, and loading
    the same name twice stores nothing more (the checkpoint is already at its end).
    """
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        with path.open("wb") as handle:
            for request in requests:
                handle.write(
                    spool.encode_fields(
                        int(request.requested_at.timestamp() * 1_000_000),
                        request.ip_address,
                        request.method,
                        request.path,
                        request.query,
                        request.user_agent,
                        request.user_id,
                        request.status,
                        request.duration_microseconds,
                    )
                )
        return spool_ingest(directory=Path(folder)).records


def statistics_fill(
    *, now: datetime | None = None, refill_from: datetime | None = None, metrics: list[str] | None = None
) -> dict[str, int]:
    """Bring the hourly and daily rollups up to date (idempotent, resumable per metric)."""
    return rollup_fill(now=now, refill_from=refill_from, metrics=metrics)


def raw_retention_limit(*, now: datetime | None = None) -> datetime | None:
    """Return the time before which raw records may be deleted, or None if none may be yet.

    A record older than ``ANALYTICS_RAW_RETENTION_DAYS`` goes, but only once every rollup
    has counted it: a stalled rollup never loses statistics to the purge.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=int(settings.ANALYTICS_RAW_RETENTION_DAYS))
    states = FillState.objects.filter(metric__in=list(METRICS))
    if states.count() < sum(len(metric.frequencies) for metric in METRICS.values()):
        return None
    filled: datetime | None = states.aggregate(filled=Min("filled_until"))["filled"]
    return min(cutoff, filled) if filled else None


def request_records_purge(*, now: datetime | None = None, batch_size: int = PURGE_BATCH_SIZE) -> int:
    """Delete raw records past their retention, in batches (idempotent); return how many."""
    limit = raw_retention_limit(now=now)
    if limit is None:
        logger.info("Request log purge skipped: the rollups have not run for every metric yet")
        return 0
    deleted = 0
    # Noted first: from now on, buckets before the limit are never recomputed from raw rows.
    mark, created = FillState.objects.get_or_create(
        metric=PURGED_MARK, frequency=Frequency.DAY, defaults={"filled_until": limit}
    )
    if not created and mark.filled_until < limit:
        mark.filled_until = limit
        mark.save(update_fields=["filled_until", "updated_at"])
    while True:
        batch = list(
            RequestRecord.objects.filter(requested_at__lt=limit).order_by().values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            break
        count, _ = RequestRecord.objects.filter(pk__in=batch).delete()
        deleted += count
    # Checkpoint rows of ingested, deleted spool files, once no record points at them.
    SpoolFile.objects.filter(finished_at__lt=limit).exclude(
        Exists(RequestRecord.objects.filter(spool_file=OuterRef("pk")))
    ).delete()
    return deleted


def analytics_erase_for_user(*, user: Any) -> dict[str, int]:
    """Detach every recorded request from a member's account (PV-10); return how many.

    The rows stay, without a member, as security records of connection data (address,
    page, browser, time) until the purge takes them ``ANALYTICS_RAW_RETENTION_DAYS``
    after each request (docs/privacy.md). Lines still waiting in a spool file are stored
    without a member too: ingestion never links a record to an erased account.
    """
    return {"requests": RequestRecord.objects.filter(user=user).update(user=None)}
