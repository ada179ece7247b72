"""The catalog (LM-1): published courses and lessons, filters, full-text search, topics."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from ..models import Course, Lesson, Status, Topic
from ..search import course_search

CATALOG_PAGE_SIZE = 24


def courses_published() -> QuerySet[Course]:
    return Course.objects.filter(status=Status.PUBLISHED)


def lessons_published(*, course: Course | None = None) -> QuerySet[Lesson]:
    """Lessons members may see: published, with a published revision, in a published course."""
    lessons = Lesson.objects.filter(status=Status.PUBLISHED, revision__isnull=False, course__status=Status.PUBLISHED)
    return lessons.filter(course=course) if course is not None else lessons


def catalog_list(
    *, query: str = "", topic: str = "", level: str = "", access_level: int | None = None
) -> QuerySet[Course]:
    """Return the published courses matching the filters, best matches (or featured) first.

    `access_level` keeps the courses a plan of that level opens entirely.
    """
    courses = courses_published()
    if topic:
        courses = courses.filter(topics__slug=topic)
    if level:
        courses = courses.filter(level=level)
    if access_level is not None:
        courses = courses.filter(access_level__lte=access_level)
    courses = courses.prefetch_related(Prefetch("topics", queryset=Topic.objects.order_by("position", "name")))
    courses = courses.defer("description", "prerequisites", "search_document")
    if query.strip():
        return course_search(courses, query)
    return courses.order_by("-is_featured", "title")


def topic_list_with_counts() -> QuerySet[Topic]:
    """Return the topics that have published courses, with how many."""
    return (
        Topic.objects.annotate(course_count=Count("courses", filter=Q(courses__status=Status.PUBLISHED)))
        .filter(course_count__gt=0)
        .order_by("position", "name")
    )


def course_list_featured(*, limit: int = 6) -> QuerySet[Course]:
    return catalog_list().order_by("-is_featured", "-published_at", "title")[:limit]
