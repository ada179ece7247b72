"""Publishing and withdrawing material; the catalog's search document (LM-2, LM-6, TM-11)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import translation

from cloudmentor.accounts.models import User
from cloudmentor.core.pagecache import pages_invalidate

from .. import rendering, search
from ..exceptions import EmptyLesson
from ..models import Course, Lesson, LessonKind, LessonRevision, Status
from ..selectors import lessons_published
from ._common import _now


def course_search_document_update(*, course: Course) -> None:
    """Refresh what the catalog reads without joins: the words the full-text search looks at
    besides title and summary, and the number of published lessons."""
    topics = [f"{topic.name} {topic.name_en}" for topic in course.topics.all()]
    modules = list(course.modules.values_list("title", flat=True))
    lessons = list(lessons_published(course=course).values_list("title", flat=True))
    document = " ".join([*topics, *modules, *lessons, str(course.get_level_display()), course.access_label])
    Course.objects.filter(pk=course.pk).update(search_document=document, lesson_count=len(lessons))
    course.search_document = document
    course.lesson_count = len(lessons)


@transaction.atomic
def course_publish(*, course: Course) -> Course:
    """Show the course in the catalog: members see its published lessons (LM-6)."""
    course.status = Status.PUBLISHED
    course.published_at = course.published_at or _now()
    course.save(update_fields=["status", "published_at", "updated_at"])
    course_search_document_update(course=course)
    transaction.on_commit(pages_invalidate)
    return course


@transaction.atomic
def course_withdraw(*, course: Course) -> Course:
    """Take the course out of the catalog; members keep their certificates (TM-11)."""
    course.status = Status.WITHDRAWN
    course.save(update_fields=["status", "updated_at"])
    transaction.on_commit(pages_invalidate)
    return course


@transaction.atomic
def lesson_publish(*, lesson: Lesson, by: User | None, note: str = "") -> LessonRevision:
    """Publish the lesson's draft as a new revision, kept for the record (LM-6).

    The Markdown is rendered and sanitized now in every language, so the first reader
    gets it from the cache (LM-2).
    """
    if not lesson.body.strip() and lesson.kind != LessonKind.QUIZ:
        raise EmptyLesson
    lesson = Lesson.objects.select_for_update().get(pk=lesson.pk)
    number = (lesson.revisions.aggregate(last=Max("number"))["last"] or 0) + 1
    revision = LessonRevision.objects.create(
        lesson=lesson,
        number=number,
        title=lesson.title,
        title_en=lesson.title_en,
        body=lesson.body,
        body_en=lesson.body_en,
        note=note[:200],
        created_by=by,
    )
    lesson.revision = revision
    lesson.status = Status.PUBLISHED
    lesson.save(update_fields=["revision", "status", "updated_at"])
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            text, _language = rendering.text_for_language(revision.body, revision.body_en)
            rendering.render_revision(revision_id=revision.pk, body=text)
    search.lesson_index(revision=revision, language=lesson.course.language)
    course_search_document_update(course=lesson.course)
    transaction.on_commit(pages_invalidate)
    return revision


@transaction.atomic
def lesson_withdraw(*, lesson: Lesson) -> Lesson:
    """Hide the lesson from members; it disappears from its course's syllabus (TM-11)."""
    lesson.status = Status.WITHDRAWN
    lesson.save(update_fields=["status", "updated_at"])
    course_search_document_update(course=lesson.course)
    transaction.on_commit(pages_invalidate)
    return lesson
