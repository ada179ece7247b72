from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cloudmentor.mailing.services import email_queue

from .exceptions import MaintenanceWindowRefused
from .models import ContactMessage, MaintenanceWindow

if TYPE_CHECKING:
    from cloudmentor.accounts.models import User


@transaction.atomic
def contact_message_create(*, name: str, email: str, subject: str, message: str, language: str) -> ContactMessage:
    """Store a contact message and alert staff by email (reply goes to the sender)."""
    contact = ContactMessage.objects.create(name=name, email=email, subject=subject, message=message, language=language)
    for address in settings.STAFF_ALERT_EMAILS:
        email_queue(
            to=address,
            template="operations/emails/contact_received",
            context={"contact": contact},
            language=settings.LANGUAGE_CODE,
            headers={"Reply-To": email},
        )
    return contact


# Maintenance windows (TM-5). Every save bumps the change stamps of the cached window list
# and of the visitors' page cache (signal receivers in apps.py), so every page shows the
# new state at its next request.


def maintenance_window_check(
    *, starts_at: datetime, ends_at: datetime, original: MaintenanceWindow | None, now: datetime
) -> None:
    """Raise MaintenanceWindowRefused unless these times may be stored (new window when `original` is None)."""
    if original is not None:
        state = original.state(now)
        if state == "cancelled":
            raise MaintenanceWindowRefused(_("Cette fenêtre est annulée : elle ne peut plus être modifiée."))
        if state == "ended":
            raise MaintenanceWindowRefused(_("Cette fenêtre est terminée : elle ne peut plus être modifiée."))
        if state == "in_progress" and starts_at != original.starts_at:
            raise MaintenanceWindowRefused(
                _("La maintenance a déjà commencé : seule sa fin peut être modifiée."), field="starts_at"
            )
    if ends_at <= starts_at:
        raise MaintenanceWindowRefused(_("La fin doit être postérieure au début."), field="ends_at")
    if ends_at <= now:
        raise MaintenanceWindowRefused(_("La fin est déjà passée."), field="ends_at")
    if (original is None or starts_at != original.starts_at) and starts_at < now:
        raise MaintenanceWindowRefused(
            _(
                "Le début est déjà passé. Pour interrompre le site dès maintenant, utilisez "
                "« Démarrer une maintenance d'urgence »."
            ),
            field="starts_at",
        )


@transaction.atomic
def maintenance_window_schedule(*, window: MaintenanceWindow, created_by: User | None) -> MaintenanceWindow:
    """Store a new (unsaved) window: announced from the notice period before its start."""
    now = timezone.now()
    maintenance_window_check(starts_at=window.starts_at, ends_at=window.ends_at, original=None, now=now)
    window.is_emergency = False
    window.created_by = created_by
    window.created_at = now
    window.save()
    return window


@transaction.atomic
def maintenance_window_change(*, window: MaintenanceWindow) -> MaintenanceWindow:
    """Store new times or messages of a window that is neither cancelled nor ended."""
    original = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
    maintenance_window_check(starts_at=window.starts_at, ends_at=window.ends_at, original=original, now=timezone.now())
    original.starts_at, original.ends_at = window.starts_at, window.ends_at
    original.message_fr, original.message_en = window.message_fr, window.message_en
    original.save(update_fields=["starts_at", "ends_at", "message_fr", "message_en"])
    return original


@transaction.atomic
def maintenance_window_start_emergency(
    *, duration: timedelta, created_by: User | None, message_fr: str = "", message_en: str = ""
) -> MaintenanceWindow:
    """Start a window now: visitors and members get the maintenance page at their next request."""
    if duration <= timedelta(0):
        raise MaintenanceWindowRefused(_("La durée doit être positive."), field="duration_minutes")
    now = timezone.now()
    return MaintenanceWindow.objects.create(
        starts_at=now,
        ends_at=now + duration,
        message_fr=message_fr,
        message_en=message_en,
        is_emergency=True,
        created_by=created_by,
        created_at=now,
    )


@transaction.atomic
def maintenance_window_end_now(*, window: MaintenanceWindow) -> MaintenanceWindow:
    """End a window in progress now: the site is back at the next request."""
    window = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
    now = timezone.now()
    if window.state(now) != "in_progress":
        raise MaintenanceWindowRefused(_("Seule une maintenance en cours peut être terminée maintenant."))
    # The constraint wants the end after the start, even for a window ended the instant it began.
    window.ends_at = max(now, window.starts_at + timedelta(microseconds=1))
    window.save(update_fields=["ends_at"])
    return window


@transaction.atomic
def maintenance_window_cancel(*, window: MaintenanceWindow, cancelled_by: User | None) -> MaintenanceWindow:
    """Cancel a window that has not started: its banner goes, the site stays open."""
    window = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
    state = window.state(timezone.now())
    if state == "in_progress":
        raise MaintenanceWindowRefused(_("Cette maintenance est en cours : utilisez « Terminer maintenant »."))
    if state != "scheduled":
        raise MaintenanceWindowRefused(_("Seule une maintenance à venir peut être annulée."))
    window.cancelled_at = timezone.now()
    window.cancelled_by = cancelled_by
    window.save(update_fields=["cancelled_at", "cancelled_by"])
    return window


def contact_messages_erase_for_email(*, email: str) -> int:
    """Delete every contact message sent from `email` (PV-10); return how many."""
    if not email.strip():
        return 0
    return ContactMessage.objects.filter(email__iexact=email.strip()).delete()[0]
