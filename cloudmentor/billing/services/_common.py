"""Small helpers every billing flow uses: the clock (a seam for tests), site addresses, staff alerts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from cloudmentor.mailing.services import email_queue


def _now() -> datetime:
    return timezone.now()


def _absolute(name: str, language: str, **kwargs: Any) -> str:
    with translation.override(language):
        return f"{settings.SITE_URL}{reverse(name, kwargs=kwargs or None)}"


def _login_then(language: str, name: str) -> str:
    """Return the login page's address, sending the member on to page `name` once logged in."""
    with translation.override(language):
        return f"{settings.SITE_URL}{reverse('accounts:login')}?{urlencode({'next': reverse(name)})}"


def _staff_alert(*, template: str, context: Mapping[str, Any]) -> None:
    for address in settings.STAFF_ALERT_EMAILS:
        email_queue(to=address, template=template, context=context, language=settings.LANGUAGE_CODE)
