"""Certificates, issued once per member and course (LM-5)."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from cloudmentor.accounts.models import User

from ..certificates import certificate_pdf
from ..models import Certificate, Course
from ._common import _absolute, _now


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
