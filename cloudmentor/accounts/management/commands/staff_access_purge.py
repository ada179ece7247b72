from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cloudmentor.accounts.services import staff_access_purge


class Command(BaseCommand):
    help = "Delete the records of staff accesses older than ACCOUNTS_STAFF_ACCESS_RETENTION_DAYS (TR-2; idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = staff_access_purge()
        self.stdout.write(f"{count} staff access record(s) deleted")
