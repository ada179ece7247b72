from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


class DateRangeForm(forms.Form):
    """The dashboard's range: local dates ``from`` and ``to``, both included (GET)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # "from" is a Python keyword: the fields are declared here rather than as attributes.
        widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        self.fields["from"] = forms.DateField(label=_("Du"), widget=widget)
        self.fields["to"] = forms.DateField(label=_("Au"), widget=widget)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("La date de début doit précéder la date de fin."))
            if (end - start).days >= MAX_DAYS:
                raise forms.ValidationError(_("Choisissez une période de trois ans au plus."))
        return cleaned

    def dates(self) -> tuple[date, date]:
        """Return the chosen range, or the last DEFAULT_DAYS days when the form is not valid."""
        if self.is_bound and self.is_valid():
            return self.cleaned_data["from"], self.cleaned_data["to"]
        return default_range()


def default_range(days: int = DEFAULT_DAYS) -> tuple[date, date]:
    today = timezone.localdate()
    return today - timedelta(days=days - 1), today
