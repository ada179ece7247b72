from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cloudmentor.backoffice.snapshots import staff_home_refresh


class Command(BaseCommand):
    help = "Recompute the staff home's figures (scheduled every minute; idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        home = staff_home_refresh()
        self.stdout.write(f"staff home figures computed at {home.generated_at:%Y-%m-%d %H:%M:%S}")
