"""What each plan opens (TM-3), from the published material, cached until it changes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Sum

from cloudmentor.billing.models import AccessLevel
from cloudmentor.core import stamps
from cloudmentor.core.pagecache import PAGES_STAMP

from ..models import LessonKind, Resource
from .catalog import courses_published, lessons_published


@dataclass
class PlanMaterial:
    """What a plan of one access level opens: whole courses, and lessons by type."""

    level: int
    label: str
    courses: int = 0
    lessons: int = 0
    minutes: int = 0
    resources: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    free_previews: int = 0

    @property
    def hours(self) -> int:
        return round(self.minutes / 60)

    @property
    def kinds(self) -> list[tuple[str, str, int]]:
        return [(kind.value, str(kind.label), self.by_kind.get(kind.value, 0)) for kind in LessonKind]


def _material_summary_compute() -> list[dict[str, Any]]:
    courses = dict(courses_published().values("access_level").annotate(n=Count("pk")).values_list("access_level", "n"))
    lessons = (
        lessons_published()
        .values("course__access_level", "kind", "is_free_preview")
        .annotate(n=Count("pk"), minutes=Sum("duration_minutes"))
    )
    resources = (
        Resource.objects.filter(lesson__in=lessons_published())
        .values("lesson__course__access_level", "lesson__is_free_preview")
        .annotate(n=Count("pk"))
    )
    summary = []
    for level in AccessLevel:
        entry: dict[str, Any] = {"level": int(level), "label": str(level.label), "courses": 0, "lessons": 0}
        entry.update(minutes=0, resources=0, free_previews=0, by_kind=defaultdict(int))
        entry["courses"] = sum(n for course_level, n in courses.items() if course_level <= level)
        for row in lessons:
            opened = row["course__access_level"] <= level
            if opened or row["is_free_preview"]:
                entry["lessons"] += row["n"]
                entry["minutes"] += row["minutes"] or 0
                entry["by_kind"][row["kind"]] += row["n"]
                if not opened:
                    entry["free_previews"] += row["n"]
        entry["resources"] = sum(
            row["n"]
            for row in resources
            if row["lesson__course__access_level"] <= level or row["lesson__is_free_preview"]
        )
        entry["by_kind"] = dict(entry["by_kind"])
        summary.append(entry)
    return summary


def material_summary() -> list[PlanMaterial]:
    """Return, for each access level a plan can have, the material it opens (TM-3).

    A plan opens every course up to its level plus every free preview. Computed from the
    published material and cached until the material changes.
    """
    found = stamps.lookup("learning:material-summary", PAGES_STAMP)
    rows = found.value
    if rows is None:
        rows = _material_summary_compute()
        stamps.store("learning:material-summary", rows, found, 3600)
    return [PlanMaterial(**row) for row in rows]
