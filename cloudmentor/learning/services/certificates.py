"""Certificates: issued once per member and course under the legal name, as a PDF and an Open
Badges 3.0 credential; revocable; re-issued when support corrects the name (LM-5, LX-2)."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from cloudmentor.accounts import services as accounts
from cloudmentor.accounts.models import User
from cloudmentor.core.stamps import pages_invalidate

from .. import badges
from ..certificates import certificate_pdf
from ..exceptions import CertificateAlreadyRevoked, LegalNameMissing
from ..models import Certificate, CertificateReissue, Course
from ..selectors.certificates import certificate_pending_courses
from ._common import _absolute, _now


def _verify_url(code: str, language: str) -> str:
    with translation.override(language):
        return _absolute(reverse("learning:certificate_verify", kwargs={"code": code}))


def _render_pdf(certificate: Certificate, language: str) -> bytes:
    return certificate_pdf(
        holder_name=certificate.holder_name,
        course_title=certificate.course_title,
        issued_at=certificate.issued_at,
        code=certificate.code,
        verify_url=_verify_url(certificate.code, language),
        language=language,
    )


def _holder_name(user: User) -> str:
    return user.legal_name or user.get_full_name() or user.get_username()


def certificate_issue(*, user: User, course: Course) -> Certificate:
    """Issue the member's certificate for the course, once: a second call returns the first.

    It carries the member's legal name (their full name or username if they never gave one);
    a legal name it carries is locked from then on.
    """
    existing = Certificate.objects.filter(user=user, course=course).first()
    if existing is not None:
        return existing
    certificate = Certificate(
        user=user, course=course, holder_name=_holder_name(user), course_title=course.title, issued_at=_now()
    )
    certificate.pdf = _render_pdf(certificate, user.language or settings.LANGUAGE_CODE)
    try:
        with transaction.atomic():
            certificate.save()
            if user.legal_name:
                accounts.user_legal_name_lock(user=user)
    except IntegrityError:
        return Certificate.objects.get(user=user, course=course)
    return certificate


def certificates_issue_pending(*, user: User) -> list[Certificate]:
    """Issue the certificates that waited for the member's legal name (courses done, exam passed)."""
    if not user.legal_name:
        raise LegalNameMissing
    return [certificate_issue(user=user, course=course) for course in certificate_pending_courses(user=user)]


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, reason: str, by: User | None) -> Certificate:
    """Revoke a certificate: its public page and its badge's status say so, with the date and reason."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValueError("a revocation needs a reason")
    locked = Certificate.objects.select_for_update().defer("pdf").get(pk=certificate.pk)
    if locked.revoked_at is not None:
        raise CertificateAlreadyRevoked
    now = _now()
    Certificate.objects.filter(pk=certificate.pk).update(revoked_at=now, revoked_reason=reason[:300], revoked_by=by)
    certificate.revoked_at, certificate.revoked_reason, certificate.revoked_by = now, reason[:300], by
    transaction.on_commit(pages_invalidate)  # the verification page is cached for visitors
    return certificate


@transaction.atomic
def certificate_legal_name_correct(*, user: User, legal_name: str, reason: str, by: User | None) -> list[Certificate]:
    """Correct a member's legal name (support) and re-issue their certificates under it, each with a record.

    The codes and public addresses stay; the PDF and the badge are made anew.
    """
    reason = " ".join(reason.split())
    if not reason or not " ".join(legal_name.split()):
        raise ValueError("a correction needs the new name and a reason")
    accounts.user_legal_name_set(user=user, legal_name=legal_name, by_support=True)
    accounts.user_legal_name_lock(user=user)
    reissued = []
    language = user.language or settings.LANGUAGE_CODE
    for certificate in Certificate.objects.select_for_update().filter(user=user):
        if certificate.holder_name == user.legal_name:
            continue
        CertificateReissue.objects.create(
            certificate=certificate,
            previous_name=certificate.holder_name,
            new_name=user.legal_name,
            reason=reason[:300],
            reissued_by=by,
            reissued_at=_now(),
        )
        certificate.holder_name = user.legal_name
        certificate.pdf = _render_pdf(certificate, language)
        certificate.badge = ""  # signed again, under the new name, when next asked for
        certificate.save(update_fields=["holder_name", "pdf", "badge"])
        reissued.append(certificate)
    transaction.on_commit(pages_invalidate)
    return reissued


def certificate_badge(*, certificate: Certificate) -> str:
    """Return the certificate's Open Badges 3.0 credential (a signed JWT), signed on first request."""
    if certificate.badge:
        return certificate.badge
    course = certificate.course
    with translation.override(settings.LANGUAGE_CODE):
        course_url = _absolute(reverse("learning:course", kwargs={"course_slug": course.slug}))
        status_url = _absolute(reverse("learning:certificate_status", kwargs={"code": certificate.code}))
        criteria = translation.gettext(
            "Avoir terminé chaque leçon du cours et réussi son examen final sur CloudMentor@Scale."
        )
    payload = badges.credential(
        credential_id=_verify_url(certificate.code, settings.LANGUAGE_CODE),
        issuer_url=_absolute("/"),
        holder_name=certificate.holder_name,
        achievement_id=course_url,
        achievement_name=certificate.course_title,
        achievement_description=course.summary,
        criteria=criteria,
        issued_at=certificate.issued_at,
        status_url=status_url,
    )
    token = badges.sign(payload)
    if not Certificate.objects.filter(pk=certificate.pk, badge="").update(badge=token):
        # Another request signed it first: every copy handed out is the stored one.
        token = Certificate.objects.values_list("badge", flat=True).get(pk=certificate.pk) or token
    certificate.badge = token
    return token
