from __future__ import annotations

import os
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from cloudmentor.analytics.ingestion import DEFAULT_BATCH_SIZE
from cloudmentor.analytics.services import request_records_ingest


class Command(BaseCommand):
    help = "Store the request log's spool lines in the database, exactly once (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--loop",
            type=float,
            default=0,
            metavar="SECONDS",
            help="Keep ingesting every SECONDS until stopped (one per web machine when several run).",
        )
        parser.add_argument(
            "--nice",
            type=int,
            default=0,
            help="Lower this process's CPU priority (loop mode): web workers go first, the spool waits.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if options["loop"] and options["nice"] > 0:
            os.nice(options["nice"])
        if options["loop"]:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stop.set())
        while True:
            close_old_connections()
            report = request_records_ingest(batch_size=options["batch_size"])
            if report.records or report.skipped or not options["loop"]:
                self.stdout.write(
                    f"{report.records} record(s) stored from {report.files} spool file(s); "
                    f"{report.skipped} damaged line(s) skipped; {report.deleted} finished file(s) deleted"
                )
            if not options["loop"] or stop.wait(options["loop"]):
                break
