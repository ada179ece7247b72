"""``manage.py task_worker``: django-tasks-db's ``db_worker`` with an id that names this
machine and process, after taking back the tasks of this machine's dead workers (SC-4)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from cloudmentor.operations.workers import tasks_recover, worker_id_for_this_process


class Command(DbWorkerCommand):
    help = "Run the task worker (db_worker) with a host:pid worker id; recovers dead workers' tasks first."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.set_defaults(worker_id=worker_id_for_this_process())

    def handle(self, *args: Any, **options: Any) -> None:
        tasks_recover()
        super().handle(*args, **options)
