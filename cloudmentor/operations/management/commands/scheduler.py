from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from cloudmentor.operations import scheduler


class Command(BaseCommand):
    help = "Run the periodic jobs of SCHEDULER_JOBS; only one scheduler acts at a time."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one tick, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        holder = scheduler.holder_name()
        self.stdout.write(f"Scheduler {holder} started ({len(settings.SCHEDULER_JOBS)} jobs)")
        try:
            while not stop.is_set():
                for name in scheduler.tick(holder=holder):
                    # Every few seconds: on the console only when asked (-v 2, --once).
                    if options["once"] or options["verbosity"] > 1:
                        self.stdout.write(f"ran {name}")
                if options["once"]:
                    break
                stop.wait(settings.SCHEDULER_TICK_SECONDS)
                # A long-lived process: drop a connection the database closed meanwhile.
                close_old_connections()
        finally:
            scheduler.lease_release(holder=holder)
            self.stdout.write("Scheduler stopped")
