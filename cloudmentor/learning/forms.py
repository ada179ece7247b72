from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cloudmentor.billing.models import AccessLevel

from .models import Level, Quiz
from .rendering import inline_code


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


class QuizForm(forms.Form):
    """One field per question: radio buttons, or checkboxes when several answers are right."""

    def __init__(self, *args: Any, quiz: Quiz, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for number, question in enumerate(quiz.questions.all(), start=1):
            choices = [(str(choice.pk), inline_code(choice.text)) for choice in question.choices.all()]
            several = sum(1 for choice in question.choices.all() if choice.is_correct) > 1
            label = _("Question %(number)d") % {"number": number}
            field: forms.Field
            if several:
                field = forms.MultipleChoiceField(
                    label=label,
                    choices=choices,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                    help_text=_("Plusieurs réponses sont attendues."),
                )
            else:
                field = forms.ChoiceField(label=label, choices=choices, required=False, widget=forms.RadioSelect)
            field.question = question  # type: ignore[attr-defined]  # our own attribute: lessonpage reads it
            self.fields[f"q{question.pk}"] = field

    def answers(self) -> dict[int, list[int]]:
        """Return question id → picked choice ids (unanswered questions count as wrong)."""
        picked: dict[int, list[int]] = {}
        for name, value in self.cleaned_data.items():
            values = value if isinstance(value, list) else [value] if value else []
            picked[int(name[1:])] = [int(v) for v in values]
        return picked
