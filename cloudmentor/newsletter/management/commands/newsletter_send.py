from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cloudmentor.newsletter.services import issues_send_resume


class Command(BaseCommand):
    help = "Finish sending every newsletter issue left half-sent (idempotent; scheduled)."

    def handle(self, *args: Any, **options: Any) -> None:
        batches = issues_send_resume()
        self.stdout.write(f"newsletter_send: {batches} batch(es)")
