"""Delete the shared-limit rows nobody needs any more (scheduled; idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cloudmentor.core.formcookies import form_cookie_purge
from cloudmentor.core.throttle import throttle_purge


class Command(BaseCommand):
    help = "Delete throttle buckets that are empty again and spent form-cookie ids past their expiry."

    def handle(self, *args: Any, **options: Any) -> None:
        buckets = throttle_purge()
        spent = form_cookie_purge()
        if options["verbosity"] > 1:
            self.stdout.write(f"{buckets} throttle buckets, {spent} spent form cookies deleted")
