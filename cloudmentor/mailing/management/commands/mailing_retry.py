from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cloudmentor.mailing.services import email_retry_due


class Command(BaseCommand):
    help = "Enqueue the sending of every queued email whose next attempt is due (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = email_retry_due()
        self.stdout.write(f"{count} email(s) enqueued")
