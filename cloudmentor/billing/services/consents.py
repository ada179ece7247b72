"""The consent to immediate access recorded with an order, and the order confirmation email (BZ-2)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation

from cloudmentor.accounts.models import User
from cloudmentor.mailing.services import email_queue

from ..exceptions import CheckoutConsentMissing
from ..models import CheckoutConsent, Subscription
from ..orders import CONSENT_VERSION, consent_sha256, consent_text, payment_methods
from ._common import _absolute, _now


@dataclass(frozen=True)
class Consent:
    """The buyer ticked the consent box of the summary page identified by `order_key`, shown in `language`."""

    order_key: uuid.UUID
    language: str


def consent_record(*, subscription: Subscription, consent: Consent | None, contact: User) -> CheckoutConsent:
    """Record the buyer's consent with the period it came with, and queue the order confirmation.

    Runs inside the order's transaction: without a consent, nothing is written
    (CheckoutConsentMissing rolls the order back).
    """
    if consent is None:
        raise CheckoutConsentMissing
    recorded = CheckoutConsent.objects.create(
        subscription=subscription,
        order_key=consent.order_key,
        consented_at=_now(),
        text_version=CONSENT_VERSION,
        text_sha256=consent_sha256(consent.language),
        language=consent.language,
    )
    order_confirmation_send(subscription=subscription, consent=recorded, contact=contact)
    return recorded


def order_confirmation_send(*, subscription: Subscription, consent: CheckoutConsent, contact: User) -> None:
    """Queue the order confirmation in the member's language; it leaves after commit (mailing outbox)."""
    language = contact.language or settings.LANGUAGE_CODE
    plan = subscription.plan
    with translation.override(language):
        methods = payment_methods()
        plan_name = plan.display_name if plan is not None else str(subscription.get_access_level_display())
        level = str(subscription.get_access_level_display())
    is_exempt = Decimal(str(settings.BILLING_VAT_RATE or "0")) == 0
    email_queue(
        to=contact.email,
        template="billing/emails/order_confirmation",
        context={
            "username": contact.username,
            "plan_name": plan_name,
            "access_level": level,
            "starts_at": timezone.localtime(subscription.starts_at),
            "ends_at": timezone.localtime(subscription.ends_at),
            "price": subscription.price,
            "currency": subscription.currency,
            "vat_mention": str(settings.BILLING_VAT_EXEMPTION_MENTION) if is_exempt else "",
            "invoice_delay_days": int(settings.BILLING_INVOICE_DELAY_DAYS),
            "payment_terms_days": int(settings.BILLING_PAYMENT_TERMS_DAYS),
            "is_paid_plan": subscription.price > 0,
            "payment_methods": methods,
            "consented_at": timezone.localtime(consent.consented_at),
            "consent_text": consent_text(language),
            "consent_version": consent.text_version,
            "order_url": _absolute("billing:order", language, order_key=consent.order_key),
        },
        language=language,
    )
