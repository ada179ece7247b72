"""The member's newsletter subscription in the export (PV-9) and erasure (PV-10)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cloudmentor.core.personal_data import Item, Outcome, Section, Subject

from .selectors import newsletter_export_for_user
from .services import newsletter_erase_for_user

KEPT_WHAT = _("votre adresse e-mail pour la newsletter, marquée désabonnée, et l'historique de vos consentements")
KEPT_WHY = _("Pour qu'elle ne reçoive plus jamais la newsletter, et pour prouver le consentement donné puis retiré.")


def _export(subject: Subject) -> dict[str, Any]:
    return newsletter_export_for_user(subject.user)


def _erase(subject: Subject) -> Outcome:
    result = newsletter_erase_for_user(subject.user)
    if not result["erased"] and not result["kept"]:
        return Outcome()
    return Outcome(
        erased=[Item("newsletter_issues", _("Le lien entre la newsletter et votre compte, et les numéros envoyés"))],
        kept=[Item("newsletter_address", KEPT_WHAT, None, KEPT_WHY)],
    )


SECTION = Section(
    key="newsletter",
    title=_("Newsletter"),
    order=45,
    export=_export,
    erase=_erase,
    holds=(
        ("subscriber", _("votre inscription à la newsletter : adresse, langue, état, dates")),
        ("consent", _("l'historique de vos inscriptions et désinscriptions")),
        ("issues_received", _("les numéros de la newsletter qui vous ont été envoyés")),
    ),
    erases=(_("le lien entre la newsletter et votre compte, et les numéros envoyés"),),
    keeps=((KEPT_WHAT, KEPT_WHY),),
)
