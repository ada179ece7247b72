from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cloudmentor.billing.services import billing_run


class Command(BaseCommand):
    help = (
        "Do what billing has due: disable accounts unpaid past the deadline, issue invoices "
        "and their notices, record ended periods. Idempotent; scheduled hourly."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = billing_run()
        held = (
            f" (disabling held until {report.disabling_held_until.isoformat()}: maintenance window)"
            if report.disabling_held_until is not None
            else ""
        )
        self.stdout.write(
            f"billing run: {report.disabled} account(s) disabled{held}, {report.issued} invoice(s) issued, "
            f"{report.ended} period(s) ended"
        )
