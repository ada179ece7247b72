from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .exceptions import MaintenanceWindowRefused
from .models import MaintenanceWindow
from .services import maintenance_window_check


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Votre nom"), max_length=150)
    email = forms.EmailField(label=_("Votre adresse e-mail"), help_text=_("Pour que nous puissions vous répondre."))
    subject = forms.CharField(label=_("Objet"), max_length=200)
    message = forms.CharField(label=_("Message"), max_length=5000, widget=forms.Textarea)


class MaintenanceWindowForm(forms.ModelForm[MaintenanceWindow]):
    """A window staff schedule or change in the staff site (TM-5); times in Paris time."""

    class Meta:
        model = MaintenanceWindow
        fields = ["starts_at", "ends_at", "message_fr", "message_en"]
        help_texts = {
            "starts_at": _("Heure de Paris. Le bandeau l'annonce à l'avance sur toutes les pages."),
            "ends_at": _(
                "Heure de Paris. Pendant la fenêtre, le site répond « maintenance » à tous sauf au personnel."
            ),
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        original = self.instance if self.instance.pk else None
        starts_at = cleaned.get("starts_at", original.starts_at if original else None)
        ends_at = cleaned.get("ends_at", original.ends_at if original else None)
        if starts_at is None or ends_at is None or ends_at <= starts_at:
            return cleaned  # a missing field is reported by its field, the order by the model
        try:
            maintenance_window_check(starts_at=starts_at, ends_at=ends_at, original=original, now=timezone.now())
        except MaintenanceWindowRefused as refusal:
            field = refusal.field if refusal.field in self.fields else None
            self.add_error(field, refusal.message)
        return cleaned


class EmergencyWindowForm(forms.Form):
    """An emergency window: it starts when staff submit this form, for the chosen duration."""

    duration_minutes = forms.IntegerField(
        label=_("Durée (minutes)"),
        min_value=1,
        max_value=24 * 60,
        initial=30,
        help_text=_("De 1 à 1440 minutes ; la fin pourra être avancée (« Terminer maintenant ») ou repoussée."),
    )
    message_fr = forms.CharField(
        label=_("Message (français)"), max_length=300, required=False, help_text=_("Facultatif.")
    )
    message_en = forms.CharField(
        label=_("Message (anglais)"), max_length=300, required=False, help_text=_("Facultatif.")
    )


class ConfirmForm(forms.Form):
    """A button that asks nothing: the page above it says what it does."""
