"""Start a donation: record it pending, then open its Stripe Checkout Session."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from cloudmentor.accounts.models import User
from cloudmentor.billing.exceptions import PaymentProviderError
from cloudmentor.billing.services import stripe_payment_session_create

from ..exceptions import DonationNotPayable
from ..models import Donation
from ._common import _now


def donation_currency() -> str:
    return str(settings.DONATIONS_CURRENCY).upper()


def donation_create(
    *, amount: Decimal, name: str, email: str, user: User | None, language: str, currency: str | None = None
) -> Donation:
    """Record a pending donation: what the donor chose, before they pay on Stripe's page."""
    return Donation.objects.create(
        amount=amount,
        currency=(currency or donation_currency()).upper(),
        name=name.strip(),
        email=email.strip(),
        user=user,
        language=language,
    )


def donation_checkout_start(*, donation: Donation, success_url: str, cancel_url: str, description: str) -> str:
    """Open a Stripe Checkout Session (mode payment) for a pending donation; return Stripe's page.

    Raises DonationNotPayable when the donation no longer waits for a payment, and
    billing's PaymentProviderError when Stripe does not answer (the donation stays pending
    and is abandoned a day later).
    """
    if not donation.is_pending:
        raise DonationNotPayable
    session = stripe_payment_session_create(
        metadata={"donation_id": str(donation.pk)},
        client_reference_id=f"donation-{donation.pk}",
        description=description,
        amount=donation.amount,
        currency=donation.currency,
        customer_email=donation.email,
        success_url=success_url,
        cancel_url=cancel_url,
        idempotency_key=f"donation-{donation.pk}-{uuid.uuid4().hex}",
    )
    Donation.objects.filter(pk=donation.pk).update(checkout_session_id=session.id)
    donation.checkout_session_id = session.id
    return session.url


def donation_start(
    *,
    amount: Decimal,
    name: str,
    email: str,
    user: User | None,
    language: str,
    success_url: str,
    cancel_url: str,
    description: str,
) -> tuple[Donation, str]:
    """Record a pending donation and open its Checkout Session; return it and Stripe's page.

    `success_url` and `cancel_url` may carry ``{public_id}``, replaced by the donation's.
    When Stripe does not answer, the donation is marked abandoned at once and billing's
    PaymentProviderError propagates: nothing waits for a payment that cannot come.
    """
    with transaction.atomic():
        donation = donation_create(amount=amount, name=name, email=email, user=user, language=language)
    public_id = str(donation.public_id)
    try:
        url = donation_checkout_start(
            donation=donation,
            success_url=success_url.replace("{public_id}", public_id),
            cancel_url=cancel_url.replace("{public_id}", public_id),
            description=description,
        )
    except PaymentProviderError:
        Donation.objects.filter(pk=donation.pk, status=Donation.Status.PENDING).update(
            status=Donation.Status.ABANDONED, abandoned_at=_now()
        )
        raise
    return donation, url
