"""Orders placed from a summary page (BZ-2): once per order key, whatever the number of submissions.

The summary page carries a random order key. The period and its consent are written in
one transaction and the key is unique, so a second submission of the same page (a double
click, a reload, two requests at once) finds the first order and shows it again instead
of buying twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from cloudmentor.accounts.models import User

from ..exceptions import CheckoutConsentMissing
from ..models import CheckoutConsent, Plan, Subscription
from .consents import Consent
from .purchases import group_subscription_buy, subscription_extend


@dataclass(frozen=True)
class Order:
    subscription: Subscription
    consent: CheckoutConsent
    created: bool


def order_find(*, order_key: uuid.UUID) -> Order | None:
    """Return the order a summary page already placed (None: not placed yet)."""
    found = (
        CheckoutConsent.objects.select_related("subscription__plan", "subscription__customer__group")
        .filter(order_key=order_key)
        .first()
    )
    if found is None:
        return None
    return Order(subscription=found.subscription, consent=found, created=False)


def _place_once(place: Callable[[], Subscription], *, consent: Consent | None) -> Order:
    if consent is None:
        raise CheckoutConsentMissing
    existing = order_find(order_key=consent.order_key)
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            subscription = place()
    except IntegrityError:
        # The same page submitted twice at once: the other request placed the order.
        existing = order_find(order_key=consent.order_key)
        if existing is None:
            raise
        return existing
    return Order(subscription=subscription, consent=subscription.consent, created=True)


def order_extend(*, holder: User, plan: Plan, consent: Consent | None) -> Order:
    """A logged-in member orders a period of `plan` for their own account, consent given (BZ-2, TM-8)."""
    return _place_once(
        lambda: subscription_extend(holder=holder, plan=plan, actor=holder, consent=consent), consent=consent
    )


def order_group(*, owner: User, plan: Plan, group_name: str, consent: Consent | None) -> Order:
    """A group's owner orders a period of a group plan for the group, consent given (BZ-2, TM-2, TM-8)."""
    return _place_once(
        lambda: group_subscription_buy(owner=owner, plan=plan, group_name=group_name, consent=consent),
        consent=consent,
    )
