"""What the newsletter's services share: the clock, links, lookups and the consent record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from cloudmentor.accounts.models import User

from ..caching import member_changed
from ..models import ConsentEvent, Subscriber

LANGUAGES = ("fr", "en")
ONE_CLICK_HEADERS = {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _now() -> datetime:
    return timezone.now()


def _language(language: str | None) -> str:
    return language if language in LANGUAGES else settings.LANGUAGE_CODE


def _link(name: str, language: str, **kwargs: Any) -> str:
    with translation.override(language):
        return f"{settings.SITE_URL}{reverse(name, kwargs=kwargs or None)}"


def _by_email(email: str) -> Subscriber | None:
    return Subscriber.objects.select_for_update().filter(email__iexact=email.strip()).first()


def _by_user(user: User) -> Subscriber | None:
    return Subscriber.objects.select_for_update().filter(user=user).first()


def _record(subscriber: Subscriber, action: str, source: str) -> None:
    ConsentEvent.objects.create(subscriber=subscriber, action=action, source=source, created_at=_now())


def _save(subscriber: Subscriber, *, old_user_id: Any = None) -> None:
    subscriber.save()
    member_changed(subscriber.user_id, old_user_id)


def _subscribe(subscriber: Subscriber, *, source: str, language: str) -> None:
    subscriber.status = Subscriber.Status.SUBSCRIBED
    subscriber.source = source
    subscriber.language = _language(language)
    subscriber.subscribed_at = _now()
    subscriber.unsubscribed_at = None
    _save(subscriber)
    _record(subscriber, ConsentEvent.Action.SUBSCRIBED, source)


def _create(*, email: str, user: User | None, language: str, source: str, at: datetime | None = None) -> Subscriber:
    """Create a subscribed row; when a simultaneous request created it first, return that one."""
    now = _now()
    subscriber = Subscriber(
        email=email.strip(), user=user, language=_language(language), source=source, subscribed_at=at or now
    )
    try:
        with transaction.atomic():
            _save(subscriber)
    except IntegrityError:
        return Subscriber.objects.get(email__iexact=email.strip())
    ConsentEvent.objects.create(
        subscriber=subscriber, action=ConsentEvent.Action.SUBSCRIBED, source=source, created_at=at or now
    )
    return subscriber
