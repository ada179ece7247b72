from __future__ import annotations

from typing import Any

from django.db import connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult


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
