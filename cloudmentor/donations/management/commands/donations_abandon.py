from typing import Any

from django.core.management.base import BaseCommand

from cloudmentor.donations.services import donations_abandon_stale


class Command(BaseCommand):
    help = "Mark abandoned the donations still unpaid a day after their checkout started (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = donations_abandon_stale()
        self.stdout.write(f"{count} donation(s) marked abandoned")
