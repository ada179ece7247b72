from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from .models import PolicyDocument


def policy_current(*, kind: str, language: str) -> PolicyDocument | None:
    """Return the newest published version of `kind`, in `language` or else the default one."""
    published = PolicyDocument.objects.filter(kind=kind, published_at__lte=timezone.now()).order_by("-version")
    return published.filter(language=language).first() or published.filter(language=settings.LANGUAGE_CODE).first()
