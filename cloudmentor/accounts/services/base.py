"""Helpers every accounts service module shares: the clock, absolute links, staff alerts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from cloudmentor.mailing.services import email_queue


def _now() -> datetime:
    return timezone.now()


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _link(name: str, language: str, **kwargs: Any) -> str:
    with translation.override(language):
        return _absolute(reverse(name, kwargs=kwargs or None))


def _staff_alert(*, template: str, context: Mapping[str, Any]) -> None:
    for address in settings.STAFF_ALERT_EMAILS:
        email_queue(to=address, template=template, context=context, language=settings.LANGUAGE_CODE)
