from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from .models import ContactMessage


def health_status() -> dict[str, Any]:
    """Return whether the database answers and how late the task queue is (seconds)."""
    status: dict[str, Any] = {"database": "ok", "task_queue_lag_seconds": None}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        oldest = (
            DBTaskResult.objects.filter(status="READY")
            .order_by("enqueued_at")
            .values_list("enqueued_at", flat=True)
            .first()
        )
    except Exception as error:  # noqa: BLE001 - a health check reports, it never raises
        status["database"] = f"error: {type(error).__name__}"
        return status
    status["task_queue_lag_seconds"] = round((timezone.now() - oldest).total_seconds(), 1) if oldest else 0.0
    return status


def contact_messages_export_for_email(*, email: str) -> list[dict[str, Any]]:
    """Return every contact message sent from `email` (any case), oldest first (PV-9). One query."""
    return [
        {
            "name": row.name,
            "email": row.email,
            "subject": row.subject,
            "message": row.message,
            "language": row.language,
            "created_at": row.created_at,
            "is_handled": row.is_handled,
        }
        for row in ContactMessage.objects.filter(email__iexact=email.strip()).order_by("created_at", "pk")
    ]
