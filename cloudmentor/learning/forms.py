from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cloudmentor.billing.models import AccessLevel

from .models import NOTE_MAX_LENGTH, Level


class CatalogFilterForm(forms.Form):
    """The catalog's search and filters (GET: the page's URL says what is shown)."""

    q = forms.CharField(label=_("Rechercher"), required=False, max_length=100)
    topic = forms.SlugField(label=_("Thème"), required=False)
    level = forms.ChoiceField(label=_("Niveau"), required=False, choices=[("", _("Tous les niveaux")), *Level.choices])
    plan = forms.TypedChoiceField(
        label=_("Inclus dans l'offre"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Toutes les offres")), *AccessLevel.choices],
    )
    page = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args: Any, topics: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update({"type": "search", "placeholder": _("Kubernetes, IAM, Terraform…")})
        self.topic_choices = topics or []

    def filters(self) -> dict[str, Any]:
        """Return the valid filters (an invalid one is ignored rather than refused)."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "query": data.get("q") or "",
            "topic": data.get("topic") or "",
            "level": data.get("level") or "",
            "access_level": data.get("plan"),
        }


class ErrorReportForm(forms.Form):
    message = forms.CharField(
        label=_("Quelle erreur avez-vous trouvée ?"),
        min_length=10,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Citez le passage concerné et ce qui vous semble faux. L'équipe vous répondra ici et par e-mail."),
    )


class LegalNameForm(forms.Form):
    """The name certificates carry (LX-2): as on an identity document."""

    legal_name = forms.CharField(
        label=_("Nom légal (prénom et nom)"),
        min_length=2,
        max_length=200,
        help_text=_(
            "Tel qu'il figure sur une pièce d'identité : il sera inscrit sur vos certificats et "
            "ne pourra plus être modifié qu'en écrivant au support."
        ),
    )

    def clean_legal_name(self) -> str:
        value = " ".join(str(self.cleaned_data["legal_name"]).split())
        if len(value) < 2 or not any(char.isalpha() for char in value):
            raise forms.ValidationError(_("Indiquez votre prénom et votre nom."))
        if any(char in value for char in "<>{}[]\\/@#$%^*=|~`"):
            raise forms.ValidationError(_("Un nom ne contient pas ces caractères : < > { } [ ] / @ # $ % ^ * = | ~"))
        return value


class LessonNoteForm(forms.Form):
    """A member's private note on a lesson (LX-6): empty deletes it."""

    body = forms.CharField(
        label=_("Ma note sur cette leçon"),
        required=False,
        strip=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Visible par vous seul. Texte simple ou Markdown (listes, code, liens)."),
    )
