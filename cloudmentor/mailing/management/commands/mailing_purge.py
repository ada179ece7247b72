from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cloudmentor.mailing.services import email_body_purge


class Command(BaseCommand):
    help = "Drop the email bodies kept past MAILING_BODY_RETENTION_DAYS, keeping their metadata (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = email_body_purge()
        self.stdout.write(f"{count} email bod(y/ies) dropped")
