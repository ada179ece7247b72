"""Every write of the learning app: publishing material, progress, quizzes, certificates,
error reports (LM-2..6, TM-11)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone, translation

from cloudmentor.accounts.models import User
from cloudmentor.billing import selectors as billing
from cloudmentor.core import stamps
from cloudmentor.core.pagecache import pages_invalidate
from cloudmentor.mailing.services import email_queue

from . import rendering
from .certificates import certificate_pdf
from .exceptions import EmptyLesson, LessonLocked, NotPublished, ReportAlreadySettled
from .models import (
    Certificate,
    Course,
    Enrollment,
    ErrorReport,
    Lesson,
    LessonCompletion,
    LessonKind,
    LessonRevision,
    Quiz,
    QuizAttempt,
    ReportStatus,
    Status,
)
from .selectors import lesson_is_open, lessons_published, progress_stamp

CREATOR_GROUP = "Créateurs de contenu"
# What the content-creator role may do in the staff site: write and publish material,
# read error reports. Deleting courses and lessons stays with staff (withdraw instead).
CREATOR_PERMISSIONS = [
    *(f"{action}_{model}" for model in ("topic", "author", "course", "module", "lesson") for action in ("view", "add", "change")),
    *(f"{action}_{model}" for model in ("resource", "quiz", "question", "choice") for action in ("view", "add", "change", "delete")),
    "view_lessonrevision",
    "view_errorreport",
]  # fmt: skip
# A member's "last visited" mark is rewritten at most this often for the same lesson.
VISIT_TOUCH = timedelta(minutes=5)


def _now() -> datetime:
    return timezone.now()


def _absolute(path: str) -> str:
    return str(settings.SITE_URL) + path


def creator_group_ensure(*, using: str = "default") -> Group:
    """Create or update the content-creator group and its permissions (idempotent)."""
    group, _created = Group.objects.using(using).get_or_create(name=CREATOR_GROUP)
    permissions = Permission.objects.using(using).filter(
        content_type__app_label="learning", codename__in=CREATOR_PERMISSIONS
    )
    group.permissions.set(permissions)
    return group


def user_is_creator(user: User) -> bool:
    return bool(user.is_authenticated and user.is_staff and user.has_perm("learning.change_lesson"))


# Material (LM-2, LM-6) ------------------------------------------------------------------


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
        lesson=lesson, number=number, title=lesson.title, body=lesson.body, note=note[:200], created_by=by
    )
    lesson.revision = revision
    lesson.status = Status.PUBLISHED
    lesson.save(update_fields=["revision", "status", "updated_at"])
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            rendering.render_revision(revision_id=revision.pk, body=revision.body)
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


# Progress (LM-4) ------------------------------------------------------------------------


def _require_open(*, user: User, lesson: Lesson) -> None:
    if not (lesson.is_published and lesson.course.is_published):
        raise NotPublished
    if not lesson_is_open(lesson=lesson, access_level=billing.user_access_level(user=user)):
        raise LessonLocked


def _progress_changed(user: User) -> None:
    """Make the member's cached progress stale (`selectors.course_progress`)."""
    stamps.bump(progress_stamp(user.pk))


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
    """Issue the certificate once every published lesson of the course is done (LM-5)."""
    lesson_ids = set(lessons_published(course=course).values_list("pk", flat=True))
    if not lesson_ids:
        return None
    done = set(LessonCompletion.objects.filter(user=user, lesson_id__in=lesson_ids).values_list("lesson_id", flat=True))
    if done != lesson_ids:
        return None
    Enrollment.objects.filter(user=user, course=course, completed_at__isnull=True).update(completed_at=_now())
    _progress_changed(user)
    return certificate_issue(user=user, course=course)


# Quizzes (LM-5) -------------------------------------------------------------------------


@transaction.atomic
def quiz_attempt_submit(*, user: User, quiz: Quiz, answers: Mapping[int, Sequence[int]]) -> QuizAttempt:
    """Score an attempt: a question counts when exactly its correct choices were picked.

    Passing the pass mark completes the quiz lesson, and maybe the course (certificate).
    """
    lesson = quiz.lesson
    _require_open(user=user, lesson=lesson)
    questions = list(quiz.questions.prefetch_related("choices"))
    recorded: dict[str, list[int]] = {}
    correct = 0
    for question in questions:
        valid = {choice.pk for choice in question.choices.all()}
        picked = sorted({int(pk) for pk in answers.get(question.pk, ()) if int(pk) in valid})
        recorded[str(question.pk)] = picked
        if set(picked) == {choice.pk for choice in question.choices.all() if choice.is_correct}:
            correct += 1
    total = len(questions)
    percent = round(100 * correct / total) if total else 0
    attempt = QuizAttempt.objects.create(
        user=user,
        quiz=quiz,
        answers=recorded,
        correct_count=correct,
        question_count=total,
        score_percent=percent,
        is_passed=bool(total) and percent >= quiz.pass_mark_percent,
        submitted_at=_now(),
    )
    if attempt.is_passed:
        _complete(user=user, lesson=lesson)
    else:
        lesson_visit(
            user=user, lesson=lesson, enrollment=Enrollment.objects.filter(user=user, course=lesson.course).first()
        )
    return attempt


# Certificates (LM-5) --------------------------------------------------------------------


def certificate_issue(*, user: User, course: Course) -> Certificate:
    """Issue the member's certificate for the course, once: a second call returns the first."""
    existing = Certificate.objects.filter(user=user, course=course).first()
    if existing is not None:
        return existing
    certificate = Certificate(
        user=user,
        course=course,
        holder_name=user.get_full_name() or user.get_username(),
        course_title=course.title,
        issued_at=_now(),
    )
    language = user.language or settings.LANGUAGE_CODE
    with translation.override(language):
        verify_url = _absolute(reverse("learning:certificate_verify", kwargs={"code": certificate.code}))
    certificate.pdf = certificate_pdf(
        holder_name=certificate.holder_name,
        course_title=certificate.course_title,
        issued_at=certificate.issued_at,
        code=certificate.code,
        verify_url=verify_url,
        language=language,
    )
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError:
        return Certificate.objects.get(user=user, course=course)
    return certificate


# Error reports (TM-11) ------------------------------------------------------------------


@transaction.atomic
def error_report_create(*, user: User, lesson: Lesson, message: str) -> ErrorReport:
    """Record a member's report of an error in a lesson they can read."""
    _require_open(user=user, lesson=lesson)
    return ErrorReport.objects.create(
        lesson=lesson,
        revision_number=lesson.revision.number if lesson.revision else None,
        reporter=user,
        message=message.strip(),
        created_at=_now(),
    )


@transaction.atomic
def error_report_settle(*, report: ErrorReport, outcome: str, reply: str, by: User) -> ErrorReport:
    """Give a report its outcome and tell the reporter by email (TM-11).

    WITHDRAWN takes the lesson out of its course; CORRECTED means a corrected revision
    was (or is being) published; REJECTED explains why nothing changes.
    """
    report = ErrorReport.objects.select_for_update().select_related("lesson__course", "reporter").get(pk=report.pk)
    if report.is_settled:
        raise ReportAlreadySettled
    if outcome not in {ReportStatus.CORRECTED, ReportStatus.WITHDRAWN, ReportStatus.REJECTED}:
        raise ValueError(f"not an outcome: {outcome}")
    report.status = outcome
    report.staff_reply = reply.strip()
    report.settled_at = _now()
    report.settled_by = by
    report.save(update_fields=["status", "staff_reply", "settled_at", "settled_by"])
    if outcome == ReportStatus.WITHDRAWN and report.lesson.status != Status.WITHDRAWN:
        lesson_withdraw(lesson=report.lesson)
    reporter = report.reporter
    if reporter.erased_at is not None:
        return report  # the reporter's data was erased (PV-10): no address to tell
    language = reporter.language or settings.LANGUAGE_CODE
    with translation.override(language):
        reports_url = _absolute(reverse("learning:reports"))
    email_queue(
        to=reporter.email,
        template="learning/emails/error_report_settled",
        context={
            "username": reporter.get_username(),
            "lesson_title": report.lesson.title,
            "course_title": report.lesson.course.title,
            "status": outcome,
            "reply": report.staff_reply,
            "reports_url": reports_url,
        },
        language=language,
    )
    return report


# Personal data (PV-9, PV-10) ------------------------------------------------------------


@transaction.atomic
def learning_erase_for_user(*, user: User) -> dict[str, int]:
    """Erase the member's progress, attempts and certificates; keep error reports, anonymised; return counts.

    A report is about the material (staff correct it, TM-11): it stays, tied to the
    anonymised account only, and no outcome email goes out for it any more.
    """
    counts = {
        "enrollments": Enrollment.objects.filter(user=user).delete()[0],
        "completions": LessonCompletion.objects.filter(user=user).delete()[0],
        "quiz_attempts": QuizAttempt.objects.filter(user=user).delete()[0],
        "certificates": Certificate.objects.filter(user=user).delete()[0],
        "error_reports_kept": ErrorReport.objects.filter(reporter=user).count(),
    }
    _progress_changed(user)
    transaction.on_commit(pages_invalidate)  # certificate verification pages
    return counts
