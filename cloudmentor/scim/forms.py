"""The owner's token form: a name that says which directory uses the token."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Nom du jeton"),
        max_length=100,
        help_text=_("Par exemple « Microsoft Entra ID » ou « Okta » : l'annuaire qui l'utilisera."),
    )
