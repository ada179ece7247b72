"""Record what a Checkout Session paid, once per session: number the receipt, thank the donor, alert staff."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation

from cloudmentor.billing.services import CheckoutSession, stripe_checkout_session_get
from cloudmentor.mailing.services import email_queue

from ..models import Donation, DonationPayment, DonationSequence
from ._common import _now

logger = logging.getLogger(__name__)


def _absolute(name: str, language: str, **kwargs: Any) -> str:
    with translation.override(language):
        return f"{settings.SITE_URL}{reverse(name, kwargs=kwargs or None)}"


def _seller() -> dict[str, str]:
    return {
        "name": settings.BILLING_SELLER_NAME,
        "address": settings.BILLING_SELLER_ADDRESS,
        "siret": settings.BILLING_SELLER_SIRET,
        "email": settings.BILLING_SELLER_EMAIL,
    }


def _receipt_number(year: int) -> int:
    """Hand out the next receipt number of `year`; the sequence row stays locked until commit."""
    DonationSequence.objects.bulk_create([DonationSequence(year=year)], ignore_conflicts=True)
    sequence = DonationSequence.objects.select_for_update().get(year=year)
    sequence.last_number += 1
    sequence.save(update_fields=["last_number"])
    return sequence.last_number


def receipt_reference(year: int, number: int) -> str:
    return f"{settings.DONATIONS_RECEIPT_PREFIX}-{year}-{number:06d}"


@dataclass(frozen=True)
class DonationOutcome:
    payment: DonationPayment
    created: bool


def _staff_alert(*, donation: Donation, payment: DonationPayment) -> None:
    context = {
        "donation_id": donation.pk,
        "status": payment.get_status_display(),
        "session_id": payment.session_id,
        "expected": f"{donation.amount} {donation.currency}",
        "received": f"{payment.amount} {payment.currency}",
        "staff_url": f"{settings.SITE_URL}/staff/donations/donation/{donation.pk}/change/",
    }
    for address in settings.STAFF_ALERT_EMAILS:
        email_queue(
            to=address,
            template="donations/emails/staff_payment_problem",
            context=context,
            language=settings.LANGUAGE_CODE,
        )


def _thank_you_send(donation: Donation) -> None:
    if not donation.email:
        return
    email_queue(
        to=donation.email,
        template="donations/emails/thank_you",
        context={
            "name": donation.name,
            "amount": donation.amount,
            "currency": donation.currency,
            "reference": donation.reference,
            "paid_on": timezone.localdate(donation.paid_at),
            "seller": donation.seller,
            "tax_receipt_mention": donation.tax_receipt_mention,
            "donations_url": _absolute("donations:account", donation.language) if donation.user_id else "",
        },
        language=donation.language,
    )


@transaction.atomic
def donation_record_payment(*, donation_id: int, session_id: str, amount: Decimal, currency: str) -> DonationOutcome:
    """Record what a Checkout Session paid for a donation, once per session; pay the donation if it matches.

    The donation row is locked first: webhook deliveries and the success redirect that race
    each other are served one after the other and the later ones find the recorded row.
    An amount or currency that differs pays nothing and alerts staff (once per session).
    A donation abandoned before its session completed is paid anyway: the money was taken.
    """
    donation = Donation.objects.select_for_update().get(pk=donation_id)
    existing = DonationPayment.objects.filter(session_id=session_id).first()
    if existing is not None:
        return DonationOutcome(payment=existing, created=False)
    currency = currency.upper()
    now = _now()
    detail = ""
    if amount != donation.amount or currency != donation.currency:
        status = DonationPayment.Status.REJECTED
        detail = f"expected {donation.amount} {donation.currency}, received {amount} {currency}"
    elif donation.status == Donation.Status.PAID:
        status = DonationPayment.Status.DUPLICATE
        detail = f"already paid ({donation.reference})"
    else:
        status = DonationPayment.Status.SUCCEEDED
    payment = DonationPayment.objects.create(
        donation=donation,
        session_id=session_id,
        amount=amount,
        currency=currency,
        status=status,
        received_at=now,
        detail=detail,
    )
    if status != DonationPayment.Status.SUCCEEDED:
        logger.warning("Donation %s: Stripe session %s not accepted (%s)", donation.pk, session_id, detail)
        _staff_alert(donation=donation, payment=payment)
        return DonationOutcome(payment=payment, created=True)
    year = timezone.localtime(now).year
    number = _receipt_number(year)
    donation.status = Donation.Status.PAID
    donation.paid_at = now
    donation.year = year
    donation.sequence = number
    donation.reference = receipt_reference(year, number)
    donation.seller = _seller()
    donation.tax_receipt_mention = str(settings.DONATIONS_TAX_RECEIPT_MENTION)
    donation.save(update_fields=["status", "paid_at", "year", "sequence", "reference", "seller", "tax_receipt_mention"])
    _thank_you_send(donation)
    return DonationOutcome(payment=payment, created=True)


def donation_checkout_completed(*, session: CheckoutSession) -> DonationPayment | None:
    """Pay the donation a completed Checkout Session names; idempotent per session.

    A session that is not paid, or names no donation of this platform, changes nothing.
    """
    raw_id = session.metadata.get("donation_id", "")
    if not raw_id.isdigit() or not Donation.objects.filter(pk=int(raw_id)).exists():
        logger.error("Stripe session %s names no donation of this platform", session.id)
        return None
    if session.payment_status != "paid" or session.amount_total is None:
        return None
    try:
        outcome = donation_record_payment(
            donation_id=int(raw_id), session_id=session.id, amount=session.amount_total, currency=session.currency
        )
    except IntegrityError:
        # Another delivery recorded this session at the same instant (SQLite has no row lock).
        return DonationPayment.objects.filter(session_id=session.id).first()
    return outcome.payment


def donation_checkout_return(*, donation: Donation, session_id: str) -> DonationPayment | None:
    """Check, when the donor comes back from Stripe, whether the session paid this donation."""
    session = stripe_checkout_session_get(session_id)
    if session.metadata.get("donation_id") != str(donation.pk):
        return None
    return donation_checkout_completed(session=session)
