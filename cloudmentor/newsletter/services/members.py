"""Members' subscriptions: at registration, from the account page, following an email change (PV-4)."""

from __future__ import annotations

from django.db import transaction

from cloudmentor.accounts.models import User

from ..caching import member_changed
from ..models import ConsentEvent, Source, Subscriber
from ._common import _by_email, _by_user, _create, _record, _save, _subscribe
from .unsubscribing import subscriber_unsubscribe


def subscriber_register_member(*, user: User) -> Subscriber | None:
    """Subscribe a new member who ticked the box of the registration form.

    An address already flagged unsubscribed stays so (the form does not show its owner
    that it was): the member sees it on the account page and can subscribe there.
    """
    if not user.newsletter_opt_in:
        return None
    existing = _by_email(user.email)
    if existing is None:
        return _create(
            email=user.email,
            user=user,
            language=user.language,
            source=Source.REGISTRATION,
            at=user.newsletter_opt_in_at,
        )
    if existing.user_id is None:
        existing.user = user
        _save(existing)
    return existing


@transaction.atomic
def subscriber_subscribe_member(*, user: User, language: str | None = None) -> Subscriber:
    """Subscribe a logged-in member from the account page: their own explicit opt-in."""
    subscriber = _by_user(user) or _by_email(user.email)
    if subscriber is None:
        return _create(email=user.email, user=user, language=language or user.language, source=Source.ACCOUNT_PAGE)
    if subscriber.user_id is None:
        subscriber.user = user
    if subscriber.is_subscribed:
        _save(subscriber)
        return subscriber
    _subscribe(subscriber, source=Source.ACCOUNT_PAGE, language=language or user.language)
    return subscriber


@transaction.atomic
def subscriber_unsubscribe_member(*, user: User) -> Subscriber | None:
    subscriber = _by_user(user) or _by_email(user.email)
    if subscriber is not None:
        subscriber_unsubscribe(subscriber=subscriber, source=Source.ACCOUNT_PAGE)
    return subscriber


@transaction.atomic
def subscriber_email_follow(*, user: User, old_email: str) -> Subscriber | None:
    """Move the member's subscription to their new address (accounts' email change).

    When the new address already has its own row (subscribed from the public form), the
    two become one; it stays unsubscribed if either was.
    """
    subscriber = _by_user(user) or _by_email(old_email)
    if subscriber is None or subscriber.email.lower() == user.email.lower():
        return subscriber
    other = Subscriber.objects.select_for_update().filter(email__iexact=user.email).exclude(pk=subscriber.pk).first()
    if other is not None:
        if not other.is_subscribed and subscriber.is_subscribed:
            subscriber.status = Subscriber.Status.UNSUBSCRIBED
            subscriber.unsubscribed_at = other.unsubscribed_at
        ConsentEvent.objects.filter(subscriber=other).update(subscriber=subscriber)
        old_user_id = other.user_id
        other.delete()
        member_changed(old_user_id)
    subscriber.email = user.email
    subscriber.user = user
    _save(subscriber)
    _record(subscriber, ConsentEvent.Action.EMAIL_CHANGED, Source.ACCOUNT_PAGE)
    return subscriber
