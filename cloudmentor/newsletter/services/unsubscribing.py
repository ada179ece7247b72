"""Unsubscribing: every email's link, one click, the account page, staff (PV-4). An unsubscribed address is kept, flagged, and never mailed again."""

from __future__ import annotations

from django.db import transaction

from cloudmentor.mailing.models import OutboxEmail
from cloudmentor.mailing.services import email_cancel

from ..exceptions import InvalidToken
from ..models import ConsentEvent, Delivery, Source, Subscriber
from ..tokens import unsubscribe_subscriber_id
from ._common import _now, _record, _save


def subscriber_unsubscribe(*, subscriber: Subscriber, source: str) -> bool:
    """Flag the address unsubscribed (it is kept, never mailed again); False if it already was.

    Newsletter emails queued for it and not yet sent are withdrawn from the outbox.
    """
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if not subscriber.is_subscribed:
        return False
    subscriber.status = Subscriber.Status.UNSUBSCRIBED
    subscriber.unsubscribed_at = _now()
    _save(subscriber)
    _record(subscriber, ConsentEvent.Action.UNSUBSCRIBED, source)
    queued = list(
        Delivery.objects.filter(subscriber=subscriber, email__status=OutboxEmail.Status.QUEUED).values_list(
            "email_id", flat=True
        )
    )
    if queued:
        email_cancel(email_ids=queued)
    return True


def subscriber_for_unsubscribe_token(token: str) -> Subscriber:
    """Return the subscriber an unsubscribe link names; raise InvalidToken otherwise."""
    subscriber_id = unsubscribe_subscriber_id(token)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first() if subscriber_id is not None else None
    if subscriber is None:
        raise InvalidToken
    return subscriber


@transaction.atomic
def subscriber_unsubscribe_by_token(*, token: str, one_click: bool = False) -> Subscriber:
    subscriber = subscriber_for_unsubscribe_token(token)
    subscriber_unsubscribe(subscriber=subscriber, source=Source.ONE_CLICK if one_click else Source.EMAIL_LINK)
    subscriber.refresh_from_db()
    return subscriber
