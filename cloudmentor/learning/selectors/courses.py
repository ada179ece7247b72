"""A course page and its syllabus, a lesson and whether a reader may open it, its files (LM-2, LM-3)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from ..models import Course, Lesson, Module, Resource, Status, Topic


def course_get_for_page(*, slug: str, include_drafts: bool = False) -> Course:
    """Return the course with its topics and authors; raise Course.DoesNotExist."""
    courses = Course.objects.prefetch_related(
        Prefetch("topics", queryset=Topic.objects.order_by("position", "name")), "authors"
    )
    if not include_drafts:
        courses = courses.filter(status=Status.PUBLISHED)
    return courses.get(slug=slug)


@dataclass
class SyllabusModule:
    module: Module
    lessons: list[Lesson]


def course_syllabus(*, course: Course, include_drafts: bool = False) -> list[SyllabusModule]:
    """Return the course's modules and their visible lessons, in order (one query)."""
    lessons = Lesson.objects.filter(course=course)
    if not include_drafts:
        lessons = lessons.filter(status=Status.PUBLISHED, revision__isnull=False)
    lessons = (
        lessons.select_related("module")
        .defer("body", "body_en")
        .order_by("module__position", "module_id", "position", "pk")
    )
    modules: dict[int, SyllabusModule] = {}
    for lesson in lessons:
        lesson.course = course
        entry = modules.get(lesson.module_id)
        if entry is None:
            entry = modules[lesson.module_id] = SyllabusModule(module=lesson.module, lessons=[])
        entry.lessons.append(lesson)
    return list(modules.values())


def lesson_get_for_page(*, course_slug: str, lesson_slug: str, include_drafts: bool = False) -> Lesson:
    """Return the lesson with its course, module and revision; raise Lesson.DoesNotExist."""
    lessons = Lesson.objects.select_related("course", "module", "revision")
    if not include_drafts:
        lessons = lessons.filter(status=Status.PUBLISHED, revision__isnull=False, course__status=Status.PUBLISHED)
    return lessons.get(course__slug=course_slug, slug=lesson_slug)


def lesson_is_open(*, lesson: Lesson, access_level: int) -> bool:
    """Return True when a reader at `access_level` may read the lesson: a free preview, or
    a plan at least at the course's level (LM-3)."""
    return bool(lesson.is_free_preview or access_level >= lesson.course.access_level)


def resource_list(*, lesson: Lesson) -> QuerySet[Resource]:
    return Resource.objects.filter(lesson=lesson).order_by("position", "pk")


def resource_get(*, lesson: Lesson, resource_id: int) -> Resource:
    return Resource.objects.get(lesson=lesson, pk=resource_id)
