"""The contact messages a member sent, in the export (PV-9) and erasure (PV-10)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cloudmentor.core.personal_data import Item, Outcome, Section, Subject

from .selectors import contact_messages_export_for_email
from .services import contact_messages_erase_for_email


def _export(subject: Subject) -> dict[str, Any]:
    return {"contact_messages": contact_messages_export_for_email(email=subject.email)}


def _erase(subject: Subject) -> Outcome:
    count = contact_messages_erase_for_email(email=subject.email)
    return Outcome(erased=[Item("contact_messages", _("Messages envoyés par le formulaire de contact"), count)])


SECTION = Section(
    key="operations",
    title=_("Contact"),
    order=40,
    export=_export,
    erase=_erase,
    holds=(("contact_messages", _("les messages envoyés par le formulaire de contact depuis votre adresse")),),
    erases=(_("les messages que vous avez envoyés par le formulaire de contact"),),
)
