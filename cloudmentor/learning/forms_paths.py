"""The group owner's form assigning a learning path to a member, with a due date (LX-4)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cloudmentor.accounts.models import User

from .models import LearningPath


class PathAssignForm(forms.Form):
    """Its choices come from the lists the page already read: rendering and checking it cost no query."""

    member = forms.TypedChoiceField(label=_("Membre"), coerce=int)
    path = forms.TypedChoiceField(label=_("Parcours"), coerce=int)
    due_on = forms.DateField(
        label=_("À terminer le"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": _("Indiquez une date, par exemple 2027-03-31.")},
    )

    def __init__(self, *args: Any, members: list[User], paths: list[LearningPath], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._members = {member.pk: member for member in members}
        self._paths = {path.pk: path for path in paths}
        member_field: Any = self.fields["member"]
        path_field: Any = self.fields["path"]
        member_field.choices = [(member.pk, member.get_username()) for member in members]
        path_field.choices = [(path.pk, path.display_title) for path in paths]

    def clean_member(self) -> User:
        return self._members[self.cleaned_data["member"]]

    def clean_path(self) -> LearningPath:
        return self._paths[self.cleaned_data["path"]]
