"""A member's progress: the visit mark, completing and undoing lessons, completing courses (LM-4)."""

from __future__ import annotations

from datetime import timedelta

from django.db import IntegrityError, transaction

from cloudmentor.accounts.models import User

from ..exceptions import LessonLocked
from ..models import Certificate, Course, Enrollment, Lesson, LessonCompletion, LessonKind
from ..selectors import lessons_published
from ..selectors.certificates import course_has_final_exam
from ._common import _now, _progress_changed, _require_open
from .certificates import certificate_issue

# A member's "last visited" mark is rewritten at most this often for the same lesson.
VISIT_TOUCH = timedelta(minutes=5)


def lesson_visit(*, user: User, lesson: Lesson, enrollment: Enrollment | None) -> Enrollment:
    """Remember the lesson as the member's place in the course ("continue where you left off").

    `enrollment` is the member's enrollment in the course if the caller already loaded it;
    the mark is rewritten only when the lesson changes or every few minutes.
    """
    now = _now()
    if enrollment is None:
        try:
            with transaction.atomic():
                created = Enrollment.objects.create(
                    user=user, course_id=lesson.course_id, last_lesson=lesson, started_at=now, last_visited_at=now
                )
            _progress_changed(user)
            return created
        except IntegrityError:
            enrollment = Enrollment.objects.get(user=user, course_id=lesson.course_id)
    if enrollment.last_lesson_id != lesson.pk or now - enrollment.last_visited_at > VISIT_TOUCH:
        Enrollment.objects.filter(pk=enrollment.pk).update(last_lesson=lesson, last_visited_at=now)
        enrollment.last_lesson = lesson
        enrollment.last_visited_at = now
        _progress_changed(user)
    return enrollment


@transaction.atomic
def lesson_complete(*, user: User, lesson: Lesson) -> Certificate | None:
    """Mark a lesson done; return the certificate if this completed the course (LM-4, LM-5).

    A quiz is done only by passing it (`quiz_attempt_submit`).
    """
    _require_open(user=user, lesson=lesson)
    if lesson.kind == LessonKind.QUIZ:
        raise LessonLocked
    return _complete(user=user, lesson=lesson)


def _complete(*, user: User, lesson: Lesson) -> Certificate | None:
    LessonCompletion.objects.get_or_create(user=user, lesson=lesson)
    _progress_changed(user)
    lesson_visit(
        user=user, lesson=lesson, enrollment=Enrollment.objects.filter(user=user, course=lesson.course).first()
    )
    return course_completion_check(user=user, course=lesson.course)


@transaction.atomic
def lesson_uncomplete(*, user: User, lesson: Lesson) -> None:
    """Unmark a lesson the member wants to read again (a certificate already issued stays)."""
    LessonCompletion.objects.filter(user=user, lesson=lesson).exclude(lesson__kind=LessonKind.QUIZ).delete()
    _progress_changed(user)


def course_completion_check(*, user: User, course: Course) -> Certificate | None:
    """Complete the course once every published lesson is done; then issue its certificate (LM-5, LX-1, LX-2).

    A quiz lesson is done only by passing its exam, and a course certifies only through one
    (`course_has_final_exam`). The certificate carries the legal name: without one, it waits
    (`selectors.certificate_pending_courses`) until the member gives it.
    """
    lesson_ids = set(lessons_published(course=course).values_list("pk", flat=True))
    if not lesson_ids:
        return None
    done = set(LessonCompletion.objects.filter(user=user, lesson_id__in=lesson_ids).values_list("lesson_id", flat=True))
    if done != lesson_ids:
        return None
    Enrollment.objects.filter(user=user, course=course, completed_at__isnull=True).update(completed_at=_now())
    _progress_changed(user)
    if not course_has_final_exam(course=course) or not user.legal_name:
        return None
    return certificate_issue(user=user, course=course)
