from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cloudmentor.legal.services import policy_notify_pending


class Command(BaseCommand):
    help = (
        "Email members about published policy versions not yet announced to all of them "
        "(resumes after a crash; each member gets one email per version). Scheduled every minute."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        count = policy_notify_pending(batch_size=options["batch_size"])
        self.stdout.write(f"legal notify: {count} email(s) queued")
