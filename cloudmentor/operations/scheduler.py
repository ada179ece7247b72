"""The periodic-job scheduler: one process at a time runs the jobs of ``SCHEDULER_JOBS``.

Several scheduler processes may be started (one per machine); a lease row in the
database elects one, renewed on every tick and taken over when it lapses, or at once
when its holder was a process of this machine that is gone (a restarted scheduler acts
right away, SC-4). Routine output of the jobs goes to the DEBUG log; failures to ERROR.
"""

from __future__ import annotations

import io
import logging
import os
import socket
import traceback
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import JobRun, SchedulerLease
from .workers import holder_is_dead_here

logger = logging.getLogger(__name__)
LEASE_NAME = "scheduler"


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def lease_acquire(*, holder: str, seconds: int) -> bool:
    """Take or renew the scheduler lease for `holder`; return whether it holds it now."""
    now = timezone.now()
    expires_at = now + timedelta(seconds=seconds)
    renewed = SchedulerLease.objects.filter(name=LEASE_NAME, holder=holder).update(expires_at=expires_at)
    if renewed:
        return True
    taken = SchedulerLease.objects.filter(name=LEASE_NAME, expires_at__lt=now).update(
        holder=holder, expires_at=expires_at
    )
    if taken:
        return True
    current = SchedulerLease.objects.filter(name=LEASE_NAME).values_list("holder", flat=True).first()
    # The previous scheduler of this machine was killed: no need to wait for its lease.
    if (
        current is not None
        and holder_is_dead_here(current)
        and SchedulerLease.objects.filter(name=LEASE_NAME, holder=current).update(holder=holder, expires_at=expires_at)
    ):
        logger.info("Scheduler lease taken over from %s (gone)", current)
        return True
    try:
        with transaction.atomic():
            SchedulerLease.objects.create(name=LEASE_NAME, holder=holder, expires_at=expires_at)
    except IntegrityError:
        return False
    return True


def lease_release(*, holder: str) -> None:
    SchedulerLease.objects.filter(name=LEASE_NAME, holder=holder).delete()


def jobs_due() -> list[tuple[str, dict[str, Any]]]:
    """Return the configured jobs whose interval has passed since they last started."""
    now = timezone.now()
    last = dict(JobRun.objects.values_list("name", "last_started_at"))
    due = []
    for name, job in settings.SCHEDULER_JOBS.items():
        started = last.get(name)
        if started is None or now - started >= timedelta(seconds=int(job["every"])):
            due.append((name, job))
    return due


def job_run(*, name: str, job: dict[str, Any]) -> None:
    """Run one job's management command and record when it ran and how it ended."""
    JobRun.objects.update_or_create(name=name, defaults={"last_started_at": timezone.now(), "last_error": ""})
    error = ""
    output = io.StringIO()
    try:
        call_command(job["command"], stdout=output, **job.get("options", {}))
    except Exception:
        error = traceback.format_exc()[-4000:]
        logger.exception("Periodic job %s failed", name)
    # Routine lines ("0 email(s) enqueued"): not for the console of `make run`.
    logger.debug("ran %s: %s", name, output.getvalue().strip())
    JobRun.objects.filter(name=name).update(last_finished_at=timezone.now(), last_error=error)


def tick(*, holder: str) -> list[str]:
    """Run the due jobs if this process holds the lease; return the names it ran."""
    lease_seconds = max(60, settings.SCHEDULER_TICK_SECONDS * 6)
    if not lease_acquire(holder=holder, seconds=lease_seconds):
        return []
    ran = []
    for name, job in jobs_due():
        job_run(name=name, job=job)
        ran.append(name)
    return ran
