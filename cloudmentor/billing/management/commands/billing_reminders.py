from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cloudmentor.billing.services import expiry_reminders_send


class Command(BaseCommand):
    help = (
        "Send the reminders due before validity ends (BILLING_REMINDER_DAYS), each once per period end. "
        "Idempotent; scheduled hourly."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = expiry_reminders_send()
        self.stdout.write(f"billing reminders: {sent} sent")
