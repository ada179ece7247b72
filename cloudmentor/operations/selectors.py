from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cloudmentor.core import stamps

from .backups import backup_list
from .models import ContactMessage, MaintenanceWindow


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
    status["maintenance"] = maintenance_health()
    backup = backup_health()
    if backup is not None:
        status["backup"] = backup
    return status


def backup_health() -> dict[str, Any] | None:
    """What /healthz says about backups (TR-5): the newest one's time and age, and whether it is
    older than ``OPERATIONS_BACKUP_MAX_AGE_HOURS`` (or missing); None when that threshold is 0."""
    max_age_hours = int(settings.OPERATIONS_BACKUP_MAX_AGE_HOURS)
    if max_age_hours <= 0:
        return None
    found = backup_list()
    if not found:
        return {"status": "missing", "newest_at": None, "age_hours": None, "max_age_hours": max_age_hours}
    newest = found[-1].taken_at
    age_hours = round((timezone.now() - newest).total_seconds() / 3600, 1)
    return {
        "status": "ok" if age_hours <= max_age_hours else "stale",
        "newest_at": newest.isoformat(),
        "age_hours": age_hours,
        "max_age_hours": max_age_hours,
    }


def maintenance_health() -> dict[str, Any]:
    """What /healthz says about maintenance: in progress (until when) and the next announced window."""
    state = maintenance_state()
    report: dict[str, Any] = {"active": state.is_active}
    if state.until is not None:
        report["ends_at"] = state.until.isoformat()
        report["retry_after_seconds"] = state.retry_after(state.now)
    if state.announced is not None and not state.is_active:
        report["next"] = {
            "starts_at": state.announced.starts_at.isoformat(),
            "ends_at": state.announced.ends_at.isoformat(),
        }
    return report


# Every request reads the coming maintenance windows (TM-5), so they come from the cache, checked against a
# change stamp that every save of a window bumps (apps.py). A window starting, ending or
# becoming announced is a matter of the clock: it is computed from the cached list, never
# queried. The list holds the windows not ended when it was read; ended ones are skipped.
MAINTENANCE_STAMP = "operations:maintenance"
MAINTENANCE_CACHE_KEY = "operations:maintenance-windows:1"
# A safety net only (a row changed behind the application's back): saves bump the stamp.
MAINTENANCE_CACHE_SECONDS = 300
MAINTENANCE_LIST_MAX = 20
DEFAULT_NOTICE_HOURS = 72
logger = logging.getLogger(__name__)
_last_known: list[WindowInfo] | None = None  # this process's last read, for a database outage


@dataclass(frozen=True)
class WindowInfo:
    """What pages need about one maintenance window (kept in the cache)."""

    pk: int
    starts_at: datetime
    ends_at: datetime
    message_fr: str
    message_en: str
    is_emergency: bool

    def message(self, language: str | None) -> str:
        """The window's message in `language`, else the French one."""
        if language and not language.startswith("fr") and self.message_en:
            return self.message_en
        return self.message_fr


@dataclass(frozen=True)
class MaintenanceState:
    """The maintenance situation at one moment: the window in progress and the one to announce."""

    now: datetime
    active: WindowInfo | None = None  # in progress: visitors and members get the 503 page
    announced: WindowInfo | None = None  # the banner's window (the active one, or the next one)
    until: datetime | None = None  # end of the maintenance in progress (overlapping windows chained)

    @property
    def is_active(self) -> bool:
        return self.active is not None

    def retry_after(self, now: datetime | None = None) -> int:
        """Seconds until the maintenance in progress ends (at least 1)."""
        if self.until is None:
            return 0
        seconds = (self.until - (now or timezone.now())).total_seconds()
        return max(1, math.ceil(seconds))


def notice_period() -> timedelta:
    return timedelta(hours=float(getattr(settings, "OPERATIONS_MAINTENANCE_NOTICE_HOURS", DEFAULT_NOTICE_HOURS)))


def maintenance_window_list_upcoming() -> list[WindowInfo]:
    """Return the windows not cancelled and not ended, earliest first: from the cache while unchanged."""
    global _last_known
    found = stamps.lookup(MAINTENANCE_CACHE_KEY, MAINTENANCE_STAMP)
    if found.value is not None:
        _last_known = found.value
        return list(found.value)
    try:
        rows = list(
            MaintenanceWindow.objects.filter(cancelled_at__isnull=True, ends_at__gt=timezone.now())
            .order_by("starts_at", "pk")
            .values_list("pk", "starts_at", "ends_at", "message_fr", "message_en", "is_emergency")[
                :MAINTENANCE_LIST_MAX
            ]
        )
    except DatabaseError:
        # The database may be the thing under maintenance: keep answering from what this
        # process last read (the 503 page needs no database), rather than failing every page.
        if _last_known is None:
            raise
        logger.warning("Maintenance windows unreadable; using the last list read by this process")
        return list(_last_known)
    windows = [WindowInfo(*row) for row in rows]
    stamps.store(MAINTENANCE_CACHE_KEY, windows, found, MAINTENANCE_CACHE_SECONDS)
    _last_known = windows
    return windows


def maintenance_state(*, now: datetime | None = None) -> MaintenanceState:
    """Return the maintenance in progress and the window to announce at `now` (no query when cached)."""
    now = now or timezone.now()
    windows = maintenance_window_list_upcoming()
    if not windows:
        return MaintenanceState(now=now)
    active = [window for window in windows if window.starts_at <= now < window.ends_at]
    if active:
        until = max(window.ends_at for window in active)
        for window in windows:  # a window starting before the current one ends continues it
            if window.starts_at <= until < window.ends_at:
                until = window.ends_at
        return MaintenanceState(now=now, active=active[0], announced=active[0], until=until)
    notice = notice_period()
    for window in windows:
        if window.ends_at > now and window.starts_at - notice <= now:
            return MaintenanceState(now=now, announced=window)
    return MaintenanceState(now=now)


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
