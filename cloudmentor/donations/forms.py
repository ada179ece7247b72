"""The donation form (TM-10): a preset or a free amount, an optional name and receipt address."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.conf import settings
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

PRESETS = ("5", "10", "25", "50")
_AMOUNT = re.compile(r"^\d{1,7}(?:\.\d+)?$")


def _limit(name: str) -> Decimal:
    return Decimal(str(getattr(settings, name))).quantize(Decimal("0.01"))


def _money(value: Decimal) -> str:
    return number_format(value.normalize() if value == value.to_integral() else value, decimal_pos=None)


def parse_amount(raw: str) -> Decimal:
    """Return the amount typed ("15", "15,50", "15.50 €"), or raise ValidationError with a clear reason."""
    text = raw.strip().replace("\u00a0", "").replace(" ", "").removesuffix("€").removesuffix("EUR")
    text = text.replace(",", ".")
    if text.startswith("-"):
        raise forms.ValidationError(_("Le montant doit être positif."), code="negative")
    if not _AMOUNT.match(text):
        raise forms.ValidationError(_("Saisissez un montant en chiffres, par exemple 15 ou 15,50."), code="invalid")
    try:
        amount = Decimal(text)
    except InvalidOperation as error:  # pragma: no cover - the pattern only lets numbers through
        raise forms.ValidationError(
            _("Saisissez un montant en chiffres, par exemple 15 ou 15,50."), code="invalid"
        ) from error
    if amount != amount.quantize(Decimal("0.01")):
        raise forms.ValidationError(_("Au plus deux chiffres après la virgule (les centimes)."), code="decimals")
    amount = amount.quantize(Decimal("0.01"))
    minimum, maximum = _limit("DONATIONS_MIN"), _limit("DONATIONS_MAX")
    if amount <= 0:
        raise forms.ValidationError(_("Le montant doit être positif."), code="negative")
    if amount < minimum:
        raise forms.ValidationError(_("Le don minimum est de %(min)s €.") % {"min": _money(minimum)}, code="too_small")
    if amount > maximum:
        raise forms.ValidationError(
            _("Le don maximum en ligne est de %(max)s €. Pour un don plus important, écrivez-nous.")
            % {"max": _money(maximum)},
            code="too_large",
        )
    return amount


class DonationForm(forms.Form):
    preset = forms.ChoiceField(
        label=_("Montant"),
        choices=[(value, f"{value} €") for value in PRESETS],
        widget=forms.RadioSelect,
        required=False,
    )
    other_amount = forms.CharField(
        label=_("Autre montant (en euros)"),
        help_text=_("Remplace le montant choisi ci-dessus s'il est rempli."),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    name = forms.CharField(
        label=_("Nom à remercier"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-mail pour le reçu"),
        help_text=_("Sans adresse, aucun reçu ne vous est envoyé."),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["other_amount"].help_text = _(
            "Remplace le montant choisi ci-dessus s'il est rempli. Entre %(min)s € et %(max)s €."
        ) % {"min": _money(_limit("DONATIONS_MIN")), "max": _money(_limit("DONATIONS_MAX"))}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        other = str(self.data.get("other_amount", "") or "").strip()
        preset = data.get("preset") or ""
        if other:
            try:
                data["amount"] = parse_amount(other)
            except forms.ValidationError as error:
                self.add_error("other_amount", error)
        elif preset:
            data["amount"] = parse_amount(preset)
        elif "preset" not in self.errors:
            self.add_error("preset", _("Choisissez un montant ou saisissez-en un autre."))
        return data
