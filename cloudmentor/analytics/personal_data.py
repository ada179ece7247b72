"""The request log's part of the export (PV-9) and of erasure (PV-10)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cloudmentor.core.personal_data import Item, Outcome, Section, Subject

from .selectors import analytics_export_for_user
from .services import analytics_erase_for_user


def _why_requests_text() -> str:
    return gettext(
        "Sécurité : données de connexion (adresse IP, page, navigateur, heure) conservées sans lien avec votre "
        "compte, puis supprimées automatiquement %(days)s jours après chaque requête (conservation légale des "
        "données de connexion : 1 an, LCEN art. 6 et décret n° 2021-1362)."
    ) % {"days": settings.ANALYTICS_RAW_RETENTION_DAYS}


WHY_REQUESTS = lazy(_why_requests_text, str)()


def _export(subject: Subject) -> dict[str, Any]:
    return analytics_export_for_user(user=subject.user)


def _erase(subject: Subject) -> Outcome:
    detached = analytics_erase_for_user(user=subject.user)["requests"]
    return Outcome(
        erased=[Item("link", _("Le lien entre votre compte et le journal des requêtes"), detached)],
        kept=[Item("requests", _("Requêtes du journal, détachées de votre compte"), detached, WHY_REQUESTS)]
        if detached
        else [],
    )


SECTION = Section(
    key="analytics",
    title=_("Journal des requêtes"),
    order=10,
    export=_export,
    erase=_erase,
    holds=(
        (
            "requests",
            _("chaque requête faite connecté : date, adresse IP, page, navigateur, système, statut, durée"),
        ),
    ),
    erases=(_("le lien entre votre compte et le journal des requêtes"),),
    keeps=(
        (
            _("les requêtes elles-mêmes (adresse IP, page, navigateur, heure), sans lien avec votre compte"),
            WHY_REQUESTS,
        ),
    ),
)
