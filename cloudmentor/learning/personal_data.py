"""Learning's part of the export (PV-9) and of erasure (PV-10)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cloudmentor.core.personal_data import Item, Outcome, Section, Subject

from .selectors import learning_export_for_user, path_export_for_user
from .services import learning_erase_for_user, path_erase_for_user

WHY_REPORTS = _(
    "Un signalement porte sur le contenu, que l'équipe corrige ou retire (conditions d'utilisation) : "
    "il est conservé sans votre nom ni votre adresse, relié au seul compte anonyme."
)


def _export(subject: Subject) -> dict[str, Any]:
    return {**learning_export_for_user(user=subject.user), **path_export_for_user(user=subject.user)}


def _erase(subject: Subject) -> Outcome:
    counts = {**learning_erase_for_user(user=subject.user), **path_erase_for_user(user=subject.user)}
    outcome = Outcome(
        erased=[
            Item("enrollments", _("Cours suivis et progression"), counts["enrollments"]),
            Item("completions", _("Leçons terminées"), counts["completions"]),
            Item("quiz_attempts", _("Tentatives de quiz"), counts["quiz_attempts"]),
            Item("certificates", _("Certificats (ils ne sont plus vérifiables en ligne)"), counts["certificates"]),
            Item("notes", _("Notes personnelles sur les leçons"), counts["notes"]),
            Item("path_assignments", _("Parcours assignés par votre groupe"), counts["path_assignments"]),
            Item(
                "path_completions",
                _("Parcours terminés (ils ne sont plus vérifiables en ligne)"),
                counts["path_completions"],
            ),
        ]
    )
    if counts["error_reports_kept"]:
        outcome.kept.append(
            Item("error_reports", _("Signalements d'erreur, anonymisés"), counts["error_reports_kept"], WHY_REPORTS)
        )
    return outcome


SECTION = Section(
    key="learning",
    title=_("Apprentissage"),
    order=20,
    export=_export,
    erase=_erase,
    holds=(
        ("enrollments", _("les cours que vous suivez, avec les dates")),
        ("completed_lessons", _("les leçons terminées")),
        ("quiz_attempts", _("vos tentatives de quiz : réponses, score, date")),
        ("certificates", _("vos certificats : code de vérification, cours, nom, date")),
        ("notes", _("vos notes personnelles sur les leçons, avec les dates")),
        ("path_assignments", _("les parcours que votre groupe vous a assignés : parcours, groupe, date limite")),
        ("path_completions", _("vos parcours terminés : code de vérification, parcours, nom, date")),
        ("error_reports", _("vos signalements d'erreur et la réponse de l'équipe")),
    ),
    erases=(
        _("votre progression, vos leçons terminées et vos tentatives de quiz"),
        _("vos notes personnelles sur les leçons"),
        _("vos certificats : téléchargez-les avant, ils ne seront plus vérifiables en ligne"),
        _("les parcours que votre groupe vous a assignés et vos parcours terminés"),
    ),
    keeps=((_("vos signalements d'erreur, anonymisés"), WHY_REPORTS),),
)
