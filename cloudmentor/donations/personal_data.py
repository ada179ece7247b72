"""Donations' part of the export (PV-9) and of erasure (PV-10): paid donations' records are kept ten years."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cloudmentor.core.personal_data import Item, Outcome, Section, Subject

from .selectors import donations_export_for_user
from .services import donations_erase_for_user

WHY_PAID = _(
    "Obligation comptable : le montant, la date et la référence de chaque don reçu sont des pièces comptables "
    "conservées 10 ans (Code de commerce, art. L123-22), comme les factures. Le nom et l'e-mail en sont effacés."
)


def _export(subject: Subject) -> dict[str, Any]:
    return donations_export_for_user(user=subject.user)


def _erase(subject: Subject) -> Outcome:
    done = donations_erase_for_user(user=subject.user)
    outcome = Outcome()
    if done.unpaid_deleted:
        outcome.erased.append(
            Item("unpaid_donations", _("Dons non réglés (abandonnés ou en attente)"), done.unpaid_deleted)
        )
    if done.details_cleared:
        outcome.erased.append(Item("donor_details", _("Nom et e-mail indiqués sur vos dons"), done.details_cleared))
    if done.paid_kept:
        outcome.kept.append(
            Item(
                "donations", _("Dons reçus : montant, date et référence, sans nom ni e-mail"), done.paid_kept, WHY_PAID
            )
        )
    return outcome


SECTION = Section(
    key="donations",
    title=_("Dons"),
    order=35,
    export=_export,
    erase=_erase,
    holds=(("donations", _("vos dons : montant, date, référence, état, nom et e-mail indiqués pour le reçu")),),
    erases=(
        _("le nom et l'e-mail indiqués sur vos dons"),
        _("les dons jamais réglés (abandonnés ou en attente)"),
    ),
    keeps=((_("le montant, la date et la référence des dons reçus"), WHY_PAID),),
)
