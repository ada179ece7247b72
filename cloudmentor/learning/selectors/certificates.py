"""Certificates: public verification, the holder's download, those waiting for a legal name (LM-5, LX-2)."""

from __future__ import annotations

from django.db.models import QuerySet

from cloudmentor.accounts.models import User
from cloudmentor.accounts.roles import CERTIFICATES, user_has_staff_capability

from ..models import Certificate, Course, LessonKind, Status


def certificate_get_by_code(*, code: str) -> Certificate:
    """Return the certificate with this verification code (any case); raise Certificate.DoesNotExist."""
    return Certificate.objects.select_related("course").defer("pdf").get(code=code.strip().upper()[:40])


def certificate_get_for_download(*, user: User, code: str) -> Certificate:
    certificates = (
        Certificate.objects.all()
        if user_has_staff_capability(user, CERTIFICATES)
        else Certificate.objects.filter(user=user)
    )
    return certificates.get(code=code.strip().upper()[:40])


def course_has_final_exam(*, course: Course) -> bool:
    """A course certifies only through an exam: at least one published quiz lesson with a quiz (LX-1)."""
    return course.lessons.filter(kind=LessonKind.QUIZ, status=Status.PUBLISHED, quiz__isnull=False).exists()


def certificate_pending_courses(*, user: User) -> QuerySet[Course]:
    """The courses the member finished (exam passed) whose certificate waits for their legal name (LX-2)."""
    return (
        Course.objects.filter(enrollments__user=user, enrollments__completed_at__isnull=False)
        .filter(lessons__kind=LessonKind.QUIZ, lessons__status=Status.PUBLISHED, lessons__quiz__isnull=False)
        .exclude(certificates__user=user)
        .distinct()
        .order_by("title")
    )
