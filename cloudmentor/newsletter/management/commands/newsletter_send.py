from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cloudmentor.newsletter.services import issues_send_resume


class Command(BaseCommand):
    help = "Finish sending every newsletter issue whose sending stalled (idempotent; scheduled)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stalled-minutes", type=int, default=10, help="minutes without progress before an issue is resumed"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        batches = issues_send_resume(stalled_after=timedelta(minutes=options["stalled_minutes"]))
        self.stdout.write(f"newsletter_send: {batches} batch(es)")
