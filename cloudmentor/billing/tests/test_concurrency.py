"""Races: two billing runs at once, many issuers at once, webhook deliveries racing the success redirect (TM-6).

Run on PostgreSQL (``scripts/with-postgres.sh .venv/bin/pytest cloudmentor/billing``).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from cloudmentor.billing import services
from cloudmentor.billing.models import BillingEvent, Invoice, Payment
from cloudmentor.billing.providers import stripe_checkout
from cloudmentor.mailing.models import OutboxEmail
from conftest import race

from .factories import InvoiceFactory, PlanFactory
from .fake_stripe import FakeStripe

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def _drafts(count: int) -> list[Invoice]:
    plan = PlanFactory(price=Decimal("49.00"))
    due = timezone.now() - timedelta(minutes=1)
    return [InvoiceFactory(subscription__plan=plan, scheduled_at=due) for _n in range(count)]


def test_tm6_two_billing_runs_at_once_issue_no_duplicate_invoice_number_or_email() -> None:
    _drafts(150)

    reports = race(2, lambda _n: services.billing_run())

    assert all(isinstance(report, services.BillingRunReport) for report in reports), reports
    assert sum(report.issued for report in reports) == 150
    numbers = list(Invoice.objects.values_list("sequence", flat=True))
    assert sorted(numbers) == list(range(1, 151))
    assert Invoice.objects.filter(status=Invoice.Status.OPEN).count() == 150
    assert BillingEvent.objects.filter(kind=BillingEvent.Kind.INVOICE_ISSUED).count() == 150
    assert OutboxEmail.objects.filter(template="billing/emails/invoice_available").count() == 150
    assert len({email.to[0] for email in mail.outbox}) == len(mail.outbox) == 150


def test_tm6_200_invoices_issued_concurrently_have_gapless_numbers() -> None:
    _drafts(200)

    results = race(10, lambda _n: services.invoice_issue_due(batch_size=3))

    assert all(isinstance(count, int) for count in results), results
    assert sum(results) == 200
    assert sorted(Invoice.objects.values_list("sequence", flat=True)) == list(range(1, 201))
    assert Invoice.objects.values("number").distinct().count() == 200


def test_tm6_webhooks_racing_the_success_redirect_pay_once_and_send_one_email(settings: Any) -> None:
    fake = FakeStripe().start()
    try:
        settings.STRIPE_SECRET_KEY, settings.BILLING_STRIPE_API_BASE = "sk_test_fake_platform_key", fake.base
        settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
        (draft,) = _drafts(1)
        services.invoice_issue_due()
        mail.outbox.clear()
        invoice = Invoice.objects.get(pk=draft.pk)
        url = services.invoice_checkout_start(invoice=invoice, success_url="http://x/ok", cancel_url="http://x/no")
        session_id = url.rsplit("/", 1)[1]
        fake.pay(session_id)

        def deliver_or_return(n: int) -> Any:
            if n == 0:
                return services.stripe_checkout_return(invoice=invoice, session_id=session_id)
            payload, header = fake.signed_event(session_id)
            return services.stripe_webhook_handle(payload=payload, signature=header)

        results = race(6, deliver_or_return)
    finally:
        fake.stop()

    assert not [result for result in results if isinstance(result, Exception)], results
    assert Payment.objects.count() == 1
    assert Invoice.objects.get(pk=draft.pk).status == Invoice.Status.PAID
    assert BillingEvent.objects.filter(kind=BillingEvent.Kind.INVOICE_PAID).count() == 1
    assert [email.subject for email in mail.outbox] == [f"Paiement reçu pour la facture {invoice.number}"]
    assert stripe_checkout.is_enabled()
