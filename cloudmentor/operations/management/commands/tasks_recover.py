from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cloudmentor.operations.workers import tasks_recover


class Command(BaseCommand):
    help = "Put back to READY the RUNNING tasks whose worker died (idempotent; SC-4)."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = tasks_recover()
        if options["verbosity"] > 1 or any(counts.values()):
            self.stdout.write(f"{counts['requeued']} task(s) requeued, {counts['failed']} given up")
