from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cloudmentor.learning.services import path_reminders_send


class Command(BaseCommand):
    help = (
        "Remind members of a path due soon (LEARNING_PATH_REMINDER_DAYS), each once per due date and day count. "
        "Idempotent; scheduled hourly."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        sent = path_reminders_send()
        self.stdout.write(f"path reminders: {sent} sent")
