from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command

from cloudmentor.operations import scheduler
from cloudmentor.operations.models import JobRun


@pytest.mark.django_db
def test_only_one_scheduler_holds_the_lease_until_it_lapses() -> None:
    with time_machine.travel("2027-01-01 00:00:00+00:00", tick=False) as clock:
        assert scheduler.lease_acquire(holder="a", seconds=60)
        assert not scheduler.lease_acquire(holder="b", seconds=60)
        assert scheduler.lease_acquire(holder="a", seconds=60)  # renewal
        clock.shift(timedelta(seconds=61))
        assert scheduler.lease_acquire(holder="b", seconds=60)  # a died: b takes over
        assert not scheduler.lease_acquire(holder="a", seconds=60)


@pytest.mark.django_db
def test_jobs_run_at_their_interval_and_failures_are_recorded(settings) -> None:
    settings.SCHEDULER_JOBS = {
        "retry": {"command": "mailing_retry", "every": 60},
        "broken": {"command": "no_such_command", "every": 3600},
    }
    with time_machine.travel("2027-01-01 00:00:00+00:00", tick=False) as clock:
        assert scheduler.tick(holder="a") == ["retry", "broken"]
        assert scheduler.tick(holder="a") == []
        assert scheduler.tick(holder="b") == []  # not the lease holder
        clock.shift(timedelta(seconds=60))
        assert scheduler.tick(holder="a") == ["retry"]

    assert "no_such_command" in JobRun.objects.get(name="broken").last_error
    assert JobRun.objects.get(name="retry").last_error == ""


@pytest.mark.django_db
def test_the_scheduler_command_runs_one_tick(settings, capsys) -> None:
    settings.SCHEDULER_JOBS = {"retry": {"command": "mailing_retry", "every": 60}}

    call_command("scheduler", "--once")

    assert "ran retry" in capsys.readouterr().out
    assert JobRun.objects.filter(name="retry").exists()


@pytest.mark.django_db
def test_sc4_a_restarted_scheduler_takes_over_the_lease_of_its_killed_predecessor_at_once() -> None:
    """The scheduler killed with -9 never released its lease: the new one need not wait for it."""
    import socket
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    dead = f"{socket.gethostname()}:{child.pid}"
    with time_machine.travel("2027-01-01 00:00:00+00:00", tick=False):
        assert scheduler.lease_acquire(holder=dead, seconds=60)
        assert scheduler.lease_acquire(holder=scheduler.holder_name(), seconds=60)
        # ... but a live holder (this test's process) keeps it until it lapses.
        assert not scheduler.lease_acquire(holder=f"{socket.gethostname()}:1", seconds=60)
        assert not scheduler.lease_acquire(holder="elsewhere:1", seconds=60)


@pytest.mark.django_db
def test_the_running_scheduler_keeps_routine_job_output_off_the_console(settings, capsys, caplog) -> None:
    """SC-4's console: `make run` shows addresses, emails, warnings; not every job's routine line."""
    import logging

    settings.SCHEDULER_JOBS = {"retry": {"command": "mailing_retry", "every": 60}}
    with caplog.at_level(logging.DEBUG, logger="cloudmentor.operations.scheduler"):
        scheduler.tick(holder="a")

    assert capsys.readouterr().out == ""
    assert "ran retry: 0 email(s) enqueued" in caplog.text
    assert all(r.levelno == logging.DEBUG for r in caplog.records if r.name == "cloudmentor.operations.scheduler")
