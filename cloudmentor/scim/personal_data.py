"""SCIM's part of the export (PV-9) and of erasure (PV-10): what a directory sent, and the history naming the person."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cloudmentor.core.personal_data import Item, Outcome, Section, Subject

from .selectors import scim_data_export_for_user
from .services import scim_data_erase_for_user

ORDER = 85  # before groups (90), which takes the member out of the group, and the account itself (100)


def _export(subject: Subject) -> dict[str, Any]:
    return scim_data_export_for_user(user=subject.user)


def _erase(subject: Subject) -> Outcome:
    done = scim_data_erase_for_user(user=subject.user)
    return Outcome(
        erased=[
            Item("provisioned_records", _("Ce que l'annuaire de votre entreprise a transmis (SCIM)"), done.records),
            Item("history", _("L'historique du provisionnement vous concernant"), done.events),
            Item("tokens", _("Les jetons SCIM de votre groupe"), done.tokens),
        ]
    )


SECTION = Section(
    key="scim",
    title=_("Provisionnement SCIM"),
    order=ORDER,
    export=_export,
    erase=_erase,
    holds=(
        (
            "provisioned_records",
            _("ce que l'annuaire de votre entreprise a transmis : userName, externalId, nom, adresses"),
        ),
        ("history", _("l'historique du provisionnement vous concernant (ajout, modification, désactivation, retrait)")),
        ("tokens_created", _("les jetons SCIM que vous avez créés pour votre groupe (nom, dates)")),
    ),
    erases=(
        _("ce que l'annuaire a transmis et l'historique du provisionnement vous concernant"),
        _("les jetons SCIM de votre groupe, si vous en êtes le propriétaire"),
    ),
)
