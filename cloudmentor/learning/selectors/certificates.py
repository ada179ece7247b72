"""Certificates: public verification and the holder's download (LM-5)."""

from __future__ import annotations

from cloudmentor.accounts.models import User
from cloudmentor.accounts.selectors import user_is_verified_staff

from ..models import Certificate


def certificate_get_by_code(*, code: str) -> Certificate:
    """Return the certificate with this verification code (any case); raise Certificate.DoesNotExist."""
    return Certificate.objects.select_related("course").defer("pdf").get(code=code.strip().upper())


def certificate_get_for_download(*, user: User, code: str) -> Certificate:
    certificates = Certificate.objects.all() if user_is_verified_staff(user) else Certificate.objects.filter(user=user)
    return certificates.get(code=code.strip().upper())
