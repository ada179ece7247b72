"""Billing's part of the export (PV-9) and of erasure (PV-10): invoices are kept ten years."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cloudmentor.core.personal_data import Item, Outcome, Section, Subject

from .selectors import billing_erasure_notices, billing_export_for_user
from .services import billing_erase_for_user

WHY_INVOICES = _(
    "Obligation légale : les factures, avec les coordonnées de l'acheteur qui y sont imprimées, sont conservées "
    "10 ans (Code de commerce, art. L123-22 ; Livre des procédures fiscales, art. L102 B)."
)
WHY_RECORDS = _(
    "Pièces justificatives de ces factures (périodes achetées, paiements, historique de facturation), "
    "conservées 10 ans comme elles ; elles ne sont plus reliées qu'au compte anonyme."
)
WHY_UNPAID = _("La somme reste due (aucun remboursement ni annulation à l'effacement) ; facture conservée 10 ans.")


def _export(subject: Subject) -> dict[str, Any]:
    return billing_export_for_user(user=subject.user)


def _erase(subject: Subject) -> Outcome:
    done = billing_erase_for_user(user=subject.user)
    outcome = Outcome()
    if done.details_cleared:
        outcome.erased.append(Item("billing_details", _("Nom et adresse de facturation de votre profil"), 1))
    if done.drafts_deleted:
        outcome.erased.append(
            Item("drafts", _("Factures pas encore émises (rien ne sera plus facturé)"), done.drafts_deleted)
        )
    if done.invoices_kept:
        outcome.kept.append(
            Item(
                "invoices", _("Factures émises, avec les coordonnées qui y figurent"), done.invoices_kept, WHY_INVOICES
            )
        )
    if done.unpaid_kept:
        outcome.kept.append(Item("unpaid_invoices", _("Dont factures impayées"), done.unpaid_kept, WHY_UNPAID))
    if done.records_kept:
        outcome.kept.append(
            Item(
                "records",
                _("Périodes d'abonnement, paiements et historique de facturation"),
                done.records_kept,
                WHY_RECORDS,
            )
        )
    return outcome


def _notices(user: Any) -> list[str]:
    return billing_erasure_notices(user=user)


SECTION = Section(
    key="billing",
    title=_("Facturation"),
    order=30,
    export=_export,
    erase=_erase,
    holds=(
        ("customer", _("vos coordonnées de facturation (nom, adresse)")),
        ("subscriptions", _("vos périodes d'abonnement : offre, prix, dates, origine")),
        ("invoices", _("vos factures : numéro, montants, dates, état, coordonnées imprimées")),
        ("credit_notes", _("vos avoirs : numéro, facture annulée, montant, date, motif, coordonnées imprimées")),
        ("payments", _("vos paiements : moyen, référence, montant, date")),
        ("history", _("l'historique de facturation de votre compte")),
    ),
    erases=(
        _("le nom et l'adresse de facturation enregistrés dans votre profil"),
        _("les factures pas encore émises : rien ne vous sera plus facturé"),
    ),
    keeps=(
        (_("les factures émises, avec le nom, l'adresse et l'e-mail qui y sont imprimés"), WHY_INVOICES),
        (_("les avoirs émis, avec les mêmes coordonnées"), WHY_INVOICES),
        (_("les périodes d'abonnement, paiements et l'historique de facturation"), WHY_RECORDS),
    ),
    notices=_notices,
)
