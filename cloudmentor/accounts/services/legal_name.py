"""The legal name certificates carry (LX-2): set by the member until a certificate is issued."""

from __future__ import annotations

import unicodedata

from django.db import transaction

from ..exceptions import LegalNameLocked
from ..models import User
from .base import _now


def _clean(name: str) -> str:
    """NFC, single spaces, no control characters: the name as printed."""
    text = unicodedata.normalize("NFC", name)
    text = "".join(char for char in text if unicodedata.category(char)[0] != "C")
    return " ".join(text.split())


@transaction.atomic
def user_legal_name_set(*, user: User, legal_name: str, by_support: bool = False) -> User:
    """Record the member's legal name; once locked (a certificate issued), only support may change it.

    A change by support is recorded and the certificates re-issued by the caller (learning's
    `certificate_legal_name_correct`).
    """
    locked = User.objects.select_for_update().values_list("legal_name_locked_at", flat=True).get(pk=user.pk)
    if locked is not None and not by_support:
        raise LegalNameLocked
    user.legal_name = _clean(legal_name)[:200]
    user.save(update_fields=["legal_name"])
    return user


def user_legal_name_lock(*, user: User) -> None:
    """Lock the legal name: a certificate now carries it."""
    if user.legal_name_locked_at is None:
        now = _now()
        User.objects.filter(pk=user.pk, legal_name_locked_at__isnull=True).update(legal_name_locked_at=now)
        user.legal_name_locked_at = now
