"""The policy versions a member accepted and the notices sent to them, in the export (PV-9) and erasure (PV-10)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cloudmentor.core.personal_data import Item, Outcome, Section, Subject

from .models import PolicyAcceptance, PolicyNotice

KEPT_WHY = _(
    "La preuve des conditions en vigueur pour votre abonnement et vos factures ; elle ne porte "
    "plus que sur le compte anonymisé."
)


def _export(subject: Subject) -> dict[str, Any]:
    acceptances = PolicyAcceptance.objects.filter(user=subject.user).order_by("accepted_at", "pk")
    notices = PolicyNotice.objects.filter(user=subject.user).select_related("document").order_by("created_at", "pk")
    return {
        "policy_acceptances": [
            {"document": row.kind, "version": row.version, "accepted_at": row.accepted_at, "how": row.source}
            for row in acceptances
        ],
        "policy_notices": [
            {"document": row.document.kind, "version": row.document.version, "sent_at": row.created_at}
            for row in notices
        ],
    }


def _erase(subject: Subject) -> Outcome:
    notices = PolicyNotice.objects.filter(user=subject.user).delete()[0]
    kept = PolicyAcceptance.objects.filter(user=subject.user).count()
    return Outcome(
        erased=[Item("policy_notices", _("Avis de nouvelles versions des conditions envoyés"), notices)],
        kept=[Item("policy_acceptances", _("Versions des conditions acceptées"), kept, KEPT_WHY)],
    )


SECTION = Section(
    key="legal",
    title=_("Conditions acceptées"),
    order=60,
    export=_export,
    erase=_erase,
    holds=(
        ("policy_acceptances", _("les versions des conditions que vous avez acceptées, et quand")),
        ("policy_notices", _("les avis de nouvelles versions qui vous ont été envoyés")),
    ),
    erases=(_("les avis de nouvelles versions qui vous ont été envoyés"),),
    keeps=((_("les versions des conditions acceptées, sans lien avec votre identité"), KEPT_WHY),),
)
