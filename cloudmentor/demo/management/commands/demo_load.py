from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cloudmentor.demo.services import demo_load


class Command(BaseCommand):
    help = "Load the demo content (policies, demo accounts) into an empty database. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        for login in demo_load():
            self.stdout.write(f"Demo login created: {login}")
        self.stdout.write("Demo content ready.")
