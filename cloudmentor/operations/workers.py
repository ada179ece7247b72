"""Task workers that heal (SC-4): a worker id that says where it runs, and the recovery of
tasks whose worker died.

django-tasks-db marks a task RUNNING when a worker claims it and has no heartbeat: a worker
killed mid-task leaves its row RUNNING forever. Our workers (``manage.py task_worker``) take
the id ``<host>:<pid>:<nonce>``, so a recovery on the same machine can tell a dead worker
from a live one; a row whose worker is on another machine (or has a foreign id) is taken
back only once it has run longer than ``OPERATIONS_TASK_LEASE_MINUTES``. Recovered rows go
back to READY and are run again (our tasks are idempotent); a task whose workers died
``OPERATIONS_TASK_MAX_RUNS`` times is marked FAILED instead, so a task that kills its worker
cannot loop. See docs/decisions/0092-processes-that-heal.md.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

RUNNING = "RUNNING"
READY = "READY"
FAILED = "FAILED"
WORKER_LOST = "cloudmentor.operations.workers.WorkerLost"


def _host() -> str:
    return socket.gethostname()[:40]


def worker_id_for_this_process() -> str:
    """Return an id (at most 64 characters) naming this machine and process: host:pid:nonce."""
    return f"{_host()}:{os.getpid()}:{get_random_string(8)}"


@dataclass(frozen=True)
class WorkerRef:
    host: str
    pid: int


def _parse(worker_id: str) -> WorkerRef | None:
    parts = worker_id.rsplit(":", 2)
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    return WorkerRef(host=parts[0], pid=int(parts[1]))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def holder_is_dead_here(holder: str) -> bool:
    """Return whether `holder` (``host:pid`` or ``host:pid:nonce``) was a process of this machine that is gone."""
    parts = holder.split(":")
    if len(parts) < 2 or not parts[1].isdigit() or parts[0] not in (socket.gethostname(), _host()):
        return False
    return not _alive(int(parts[1]))


def _worker_gone(worker_ids: list[str], started_at: datetime | None, lease_cutoff: datetime) -> bool:
    """Return whether the worker that last claimed the row is known dead, or its lease lapsed."""
    ref = _parse(worker_ids[-1]) if worker_ids else None
    if ref is not None and ref.host == _host():
        return not _alive(ref.pid)
    return started_at is None or started_at < lease_cutoff


def tasks_recover() -> dict[str, int]:
    """Put back to READY the RUNNING tasks whose worker is gone; return counts. Idempotent.

    Each row is changed by one conditional UPDATE (still RUNNING, same claim), so two
    recoveries at once, or a worker finishing meanwhile, never double a task.
    """
    now = timezone.now()
    lease_cutoff = now - timedelta(minutes=settings.OPERATIONS_TASK_LEASE_MINUTES)
    counts = {"requeued": 0, "failed": 0}
    running = DBTaskResult.objects.filter(status=RUNNING).values_list("pk", "worker_ids", "started_at", "task_path")
    for pk, worker_ids, started_at, task_path in running:
        if not _worker_gone(list(worker_ids or []), started_at, lease_cutoff):
            continue
        same_claim = DBTaskResult.objects.filter(pk=pk, status=RUNNING, started_at=started_at)
        if len(worker_ids or []) >= settings.OPERATIONS_TASK_MAX_RUNS:
            changed = same_claim.update(
                status=FAILED,
                finished_at=now,
                exception_class_path=WORKER_LOST,
                traceback=f"Its worker died {len(worker_ids)} times while running it: {', '.join(worker_ids)}",
            )
            counts["failed"] += changed
            if changed:
                logger.error("Task %s (%s) given up: its worker died %s times", pk, task_path, len(worker_ids))
            continue
        changed = same_claim.update(status=READY, started_at=None)
        counts["requeued"] += changed
        if changed:
            logger.warning("Task %s (%s) requeued: its worker %s is gone", pk, task_path, worker_ids[-1:])
    return counts
