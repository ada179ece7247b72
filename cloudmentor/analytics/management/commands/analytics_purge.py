from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from cloudmentor.analytics.services import PURGE_BATCH_SIZE, request_records_purge


class Command(BaseCommand):
    help = "Delete raw request records older than ANALYTICS_RAW_RETENTION_DAYS, in batches (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=PURGE_BATCH_SIZE)

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = request_records_purge(batch_size=options["batch_size"])
        self.stdout.write(f"{deleted} raw record(s) older than {settings.ANALYTICS_RAW_RETENTION_DAYS} days deleted")
