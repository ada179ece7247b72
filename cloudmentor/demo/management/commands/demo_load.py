from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from cloudmentor.demo.services import DemoRefused, demo_load


class Command(BaseCommand):
    help = "Load the demo content (policies, demo accounts) into an empty database. Idempotent; refused in production."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            logins = demo_load()
        except DemoRefused as error:
            raise CommandError(
                "The demo content (with its published passwords and TOTP key) is never loaded in production "
                "(CLOUDMENTOR_ENV=production). Create staff accounts with `manage.py createsuperuser` and "
                "publish the policies from the staff site."
            ) from error
        for login in logins:
            self.stdout.write(f"Demo login created: {login}")
        self.stdout.write("Demo content ready.")
