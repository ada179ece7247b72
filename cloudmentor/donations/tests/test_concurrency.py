"""Races on PostgreSQL: receipt numbers under concurrent payments, webhooks racing the success redirect (TM-10).

Run with ``scripts/with-postgres.sh .venv/bin/pytest cloudmentor/donations``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core import mail

from cloudmentor.billing import services as billing_services
from cloudmentor.donations import services
from cloudmentor.donations.models import Donation, DonationPayment
from conftest import race

from .fake_stripe import SECRET_KEY, DonationFakeStripe

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_tm10_receipt_numbers_stay_gapless_when_40_donations_are_paid_at_once() -> None:
    donations = [
        services.donation_create(amount=Decimal("10"), name="", email="", user=None, language="fr") for _n in range(40)
    ]

    def pay_four(n: int) -> int:
        for donation in donations[n * 4 : n * 4 + 4]:
            services.donation_record_payment(
                donation_id=donation.pk, session_id=f"cs_{donation.pk}", amount=Decimal("10.00"), currency="EUR"
            )
        return 4

    results = race(10, pay_four)

    assert results == [4] * 10, results
    assert sorted(Donation.objects.values_list("sequence", flat=True)) == list(range(1, 41))
    assert Donation.objects.values("reference").distinct().count() == 40


def test_tm10_webhooks_racing_the_success_redirect_pay_once_and_send_one_email(settings: Any) -> None:
    fake = DonationFakeStripe().start()
    try:
        settings.STRIPE_SECRET_KEY, settings.BILLING_STRIPE_API_BASE = SECRET_KEY, fake.base
        settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
        donation, url = services.donation_start(
            amount=Decimal("10.00"),
            name="Ana",
            email="ana@example.org",
            user=None,
            language="fr",
            success_url="http://x/ok/{public_id}",
            cancel_url="http://x/no/{public_id}",
            description="Don",
        )
        session_id = url.rsplit("/", 1)[1]
        fake.pay(session_id)

        def deliver_or_return(n: int) -> Any:
            if n == 0:
                return services.donation_checkout_return(donation=donation, session_id=session_id)
            payload, header = fake.signed_event(session_id)
            return billing_services.stripe_webhook_handle(payload=payload, signature=header)

        results = race(6, deliver_or_return)
    finally:
        fake.stop()

    assert not [result for result in results if isinstance(result, Exception)], results
    assert DonationPayment.objects.count() == 1
    paid = Donation.objects.get()
    assert (paid.status, paid.sequence) == ("paid", 1)
    assert [email.subject for email in mail.outbox] == [f"Merci pour votre don — reçu {paid.reference}"]
