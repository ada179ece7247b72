from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cloudmentor.accounts.services import security_notice_purge


class Command(BaseCommand):
    help = (
        "Delete the « Était-ce vous ? » records older than ACCOUNTS_SECURITY_NOTICE_RETENTION_DAYS (TR-4; idempotent)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        count = security_notice_purge()
        self.stdout.write(f"{count} security notice record(s) deleted")
