"""The public form: double opt-in by an emailed confirmation link (PV-4)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from cloudmentor.accounts.selectors import user_by_email
from cloudmentor.core.throttle import Limit, throttle_take
from cloudmentor.mailing.services import email_queue

from ..exceptions import ConfirmationSuperseded, InvalidToken
from ..models import Source, Subscriber
from ..tokens import confirm_payload, confirm_token
from ._common import _by_email, _create, _language, _link, _subscribe


def _address_limit(email: str) -> Limit:
    return Limit("newsletter-confirm", email.strip().lower(), int(settings.NEWSLETTER_CONFIRM_MAX_PER_ADDRESS), 3600)


@transaction.atomic
def subscription_request(*, email: str, language: str) -> bool:
    """Email a confirmation link to `email`; True if one was queued.

    Nothing is stored until the link is followed. An address already subscribed, or
    sent too many links this hour, gets nothing; the visitor's page says the same in every
    case, so it never tells whether an address is subscribed.
    """
    existing = Subscriber.objects.filter(email__iexact=email.strip()).first()
    if existing is not None and existing.is_subscribed:
        return False
    limit = _address_limit(email)
    if throttle_take(limit) is not None:
        return False
    language = _language(language)
    email_queue(
        to=email.strip(),
        template="newsletter/emails/confirm",
        context={
            "confirm_url": _link(
                "newsletter:confirm", language, token=confirm_token(email=email.strip(), language=language)
            ),
            "valid_days": int(settings.NEWSLETTER_CONFIRM_DAYS),
        },
        language=language,
    )
    return True


@transaction.atomic
def subscription_confirm(*, token: str) -> Subscriber:
    """Subscribe the address a confirmation link names (its owner opened it).

    Raises InvalidToken, or ConfirmationSuperseded when the address was unsubscribed after
    the link was sent (an old link never undoes a later unsubscription).
    """
    payload = confirm_payload(token)
    if payload is None:
        raise InvalidToken
    subscriber = _by_email(payload.email)
    if subscriber is None:
        member = user_by_email(payload.email)
        if member is not None and Subscriber.objects.filter(user=member).exists():
            member = None
        return _create(email=payload.email, user=member, language=payload.language, source=Source.PUBLIC_FORM)
    if subscriber.is_subscribed:
        return subscriber
    if subscriber.unsubscribed_at and subscriber.unsubscribed_at.timestamp() > payload.requested_at:
        raise ConfirmationSuperseded
    _subscribe(subscriber, source=Source.PUBLIC_FORM, language=payload.language)
    return subscriber


def confirm_token_is_valid(token: str) -> bool:
    return confirm_payload(token) is not None
