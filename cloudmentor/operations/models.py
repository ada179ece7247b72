from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ContactMessage(models.Model):
    """A message sent through the online contact form (PV-15)."""

    name = models.CharField(_("nom"), max_length=150)
    email = models.EmailField(_("adresse e-mail"))
    subject = models.CharField(_("objet"), max_length=200)
    message = models.TextField(_("message"), max_length=5000)
    language = models.CharField(_("langue"), max_length=8)
    created_at = models.DateTimeField(_("reçu le"), default=timezone.now)
    is_handled = models.BooleanField(_("traité"), default=False)

    class Meta:
        verbose_name = _("message de contact")
        verbose_name_plural = _("messages de contact")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.email})"


class SchedulerLease(models.Model):
    """The single row that says which scheduler process may run periodic jobs now."""

    name = models.CharField(max_length=50, primary_key=True)
    holder = models.CharField(max_length=100)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name}: {self.holder}"


class JobRun(models.Model):
    """When each periodic job last ran, so a restarted scheduler does not run it early."""

    name = models.CharField(max_length=100, primary_key=True)
    last_started_at = models.DateTimeField()
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("tâche périodique")
        verbose_name_plural = _("tâches périodiques")

    def __str__(self) -> str:
        return self.name


class MaintenanceWindow(models.Model):
    """A period when the site answers 503 to everyone but staff (TM-5).

    Announced by a banner on every page from ``OPERATIONS_MAINTENANCE_NOTICE_HOURS`` before
    its start; an emergency window starts when it is created. A cancelled window has no
    effect; rows are never deleted (they are the record of every interruption).
    """

    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    message_fr = models.CharField(
        _("message (français)"),
        max_length=300,
        blank=True,
        help_text=_("Facultatif : une phrase ajoutée au bandeau et à la page de maintenance."),
    )
    message_en = models.CharField(
        _("message (anglais)"),
        max_length=300,
        blank=True,
        help_text=_("Facultatif : la même phrase pour les pages en anglais."),
    )
    is_emergency = models.BooleanField(_("urgence"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("créée le"), default=timezone.now)
    cancelled_at = models.DateTimeField(_("annulée le"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("annulée par"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("fenêtre de maintenance")
        verbose_name_plural = _("fenêtres de maintenance")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="maintenance_window_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["ends_at"], name="maintenance_window_ends_at")]

    def __str__(self) -> str:
        start = timezone.localtime(self.starts_at).strftime("%Y-%m-%d %H:%M")
        end = timezone.localtime(self.ends_at).strftime("%Y-%m-%d %H:%M")
        return f"{start} → {end}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("La fin doit être postérieure au début.")})

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def state(self, now: datetime) -> str:
        """One of "cancelled", "scheduled", "in_progress", "ended" at `now`."""
        if self.cancelled_at is not None:
            return "cancelled"
        if now < self.starts_at:
            return "scheduled"
        if now < self.ends_at:
            return "in_progress"
        return "ended"
