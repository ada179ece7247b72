from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from cloudmentor.analytics.rollups import METRICS
from cloudmentor.analytics.services import statistics_fill


class Command(BaseCommand):
    help = "Fill the hourly and daily statistics from the request log (idempotent, resumable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--refill-from", metavar="YYYY-MM-DD", help="Recompute every bucket from this local date on."
        )
        parser.add_argument("--metric", action="append", choices=sorted(METRICS), help="Only this metric.")

    def handle(self, *args: Any, **options: Any) -> None:
        refill_from = None
        if options["refill_from"]:
            try:
                day = datetime.strptime(options["refill_from"], "%Y-%m-%d")
            except ValueError as error:
                raise CommandError("--refill-from takes a date: YYYY-MM-DD") from error
            refill_from = timezone.make_aware(day)
        written = statistics_fill(refill_from=refill_from, metrics=options["metric"])
        self.stdout.write(f"{sum(written.values())} chunk(s) of buckets written for {len(written)} series")
