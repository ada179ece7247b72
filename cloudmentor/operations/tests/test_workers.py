"""SC-4: a task whose worker died is retried, never left RUNNING."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult, get_date_max

from cloudmentor.operations import workers


def _dead_pid() -> int:
    """The pid of a real process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return child.pid


def _running(worker_ids: list[str], started_minutes_ago: int = 1) -> DBTaskResult:
    return DBTaskResult.objects.create(
        status="RUNNING",
        args_kwargs={"args": [1], "kwargs": {}},
        task_path="cloudmentor.mailing.tasks.email_send_task",
        backend_name="default",
        run_after=get_date_max(),
        worker_ids=worker_ids,
        started_at=timezone.now() - timedelta(minutes=started_minutes_ago),
    )


@pytest.mark.django_db
def test_sc4_a_task_whose_worker_was_killed_is_requeued_by_the_command() -> None:
    host = workers.worker_id_for_this_process().rsplit(":", 2)[0]
    dead = _running([f"{host}:{_dead_pid()}:abcdefgh"])
    alive = _running([workers.worker_id_for_this_process()])  # this very process: alive

    call_command("tasks_recover")
    call_command("tasks_recover")  # idempotent

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == "READY" and dead.started_at is None
    assert alive.status == "RUNNING"
    # The task can be claimed again by a worker: it is among the ready ones.
    assert list(DBTaskResult.objects.ready().values_list("pk", flat=True)) == [dead.pk]


@pytest.mark.django_db
def test_sc4_a_task_of_a_worker_on_another_machine_is_taken_back_after_the_lease(settings) -> None:
    settings.OPERATIONS_TASK_LEASE_MINUTES = 60
    with time_machine.travel("2027-01-01 12:00:00+00:00", tick=False):
        recent = _running(["elsewhere:123:abcdefgh"], started_minutes_ago=59)
        old = _running(["elsewhere:124:abcdefgh"], started_minutes_ago=61)
        foreign = _running(["Xr4nd0mIdOfPlainDbWorker"], started_minutes_ago=61)

        assert workers.tasks_recover() == {"requeued": 2, "failed": 0}

    assert DBTaskResult.objects.get(pk=recent.pk).status == "RUNNING"
    assert DBTaskResult.objects.get(pk=old.pk).status == "READY"
    assert DBTaskResult.objects.get(pk=foreign.pk).status == "READY"


@pytest.mark.django_db
def test_sc4_a_task_that_killed_its_workers_too_often_is_failed_not_looped(settings) -> None:
    settings.OPERATIONS_TASK_MAX_RUNS = 3
    host = workers.worker_id_for_this_process().rsplit(":", 2)[0]
    task = _running([f"{host}:{_dead_pid()}:run{n}abcd" for n in range(3)])

    assert workers.tasks_recover() == {"requeued": 0, "failed": 1}

    task.refresh_from_db()
    assert task.status == "FAILED" and task.finished_at is not None
    assert task.exception_class_path == workers.WORKER_LOST


def test_sc4_the_worker_id_names_the_machine_and_the_process() -> None:
    import os

    worker_id = workers.worker_id_for_this_process()
    assert len(worker_id) <= 64
    assert worker_id.split(":")[-2] == str(os.getpid())


def test_sc4_make_run_and_systemd_start_the_worker_that_recovers() -> None:
    """The Procfile (make run) runs `task_worker`, whose worker ids the recovery understands."""
    from django.conf import settings

    procfile = (settings.BASE_DIR / "Procfile").read_text()
    assert "manage.py task_worker" in procfile
    assert settings.SCHEDULER_JOBS["tasks_recover"]["command"] == "tasks_recover"
