"""What learning's pages say about the plans on sale (billing): what each opens, which open a lesson.

The home page and the catalog show the table of what each plan opens (TM-3); a locked
lesson or file names the plans that open it (LM-3). Links go to billing's pages once it
serves them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from cloudmentor.billing import selectors as billing
from cloudmentor.billing.models import AccessLevel, Plan

from . import selectors
from .models import Course, LessonKind


def plans_url() -> str | None:
    """Return the page listing the plans, once billing serves one."""
    try:
        return reverse("billing:plans")
    except NoReverseMatch:
        return None


def subscribe_url(plan: Plan) -> str | None:
    try:
        return reverse("billing:subscribe", kwargs={"slug": plan.slug})
    except NoReverseMatch:
        return None


@dataclass
class PlanColumn:
    """One plan of the "what each plan opens" table (TM-3)."""

    name: str
    url: str | None
    material: selectors.PlanMaterial


def plan_context() -> dict[str, Any]:
    """What each plan on sale opens, as table columns and rows (TM-3).

    Without plans on sale (a fresh installation), the columns are the access levels.
    """
    summary = {entry.level: entry for entry in selectors.material_summary()}
    on_sale = list(billing.plan_list_for_members())
    if on_sale:
        columns = [PlanColumn(plan.display_name, subscribe_url(plan), summary[plan.access_level]) for plan in on_sale]
    else:
        columns = [PlanColumn(entry.label, None, entry) for entry in summary.values()]
    material = [column.material for column in columns]
    rows = [
        (_("Cours complets, avec certificat"), [entry.courses for entry in material]),
        (_("Leçons"), [entry.lessons for entry in material]),
        *(
            (label, [entry.by_kind.get(kind, 0) for entry in material])
            for kind, label in ((LessonKind.ARTICLE, _("… dont articles")), (LessonKind.VIDEO, _("… dont vidéos")),
                                (LessonKind.LAB, _("… dont travaux pratiques")), (LessonKind.QUIZ, _("… dont quiz et examens blancs")))
        ),
        (_("Heures de contenu"), [entry.hours for entry in material]),
        (_("Fichiers téléchargeables"), [entry.resources for entry in material]),
        (_("Leçons en aperçu gratuit des autres cours"), [entry.free_previews for entry in material]),
    ]  # fmt: skip
    return {"plan_columns": columns, "plan_rows": rows, "plans_url": plans_url()}


def locked_context(course: Course) -> dict[str, Any]:
    """Say which plan opens a locked lesson: its level, and the plans on sale that open it (LM-3)."""
    opening = [plan for plan in billing.plan_list_for_members() if plan.access_level >= course.access_level]
    return {
        "required_level": AccessLevel(course.access_level).label,
        "opening_plans": [(plan.display_name, subscribe_url(plan)) for plan in opening],
        "plans_url": plans_url(),
    }
