"""Paying inside the account area: Stripe Checkout through a local fake of Stripe, signed webhooks (TM-6, TM-7)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.billing import services
from cloudmentor.billing.models import BillingEvent, Invoice, Payment, Plan, Subscription

from .conftest import log_in
from .factories import PlanFactory
from .fake_stripe import FakeStripe, signature_header

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
WEBHOOK = "/billing/webhooks/stripe/"


@pytest.fixture
def alice() -> User:
    return UserFactory(username="alice", email="alice@example.org")


@pytest.fixture
def invoice(alice: User, django_capture_on_commit_callbacks: Any) -> Invoice:
    plan: Plan = PlanFactory(slug="pro-3", name="Pro 3 mois", price=Decimal("49.00"), duration_months=3)
    with time_machine.travel(T0, tick=False):
        services.subscription_purchase(holder=alice, plan=plan, actor=alice)
    with time_machine.travel(T0 + timedelta(days=3), tick=False), django_capture_on_commit_callbacks(execute=True):
        services.billing_run()
    mail.outbox.clear()
    return Invoice.objects.get()


@pytest.fixture
def member_client(client: Client, alice: User) -> Client:
    log_in(client, "alice")
    return client


def _checkout(client: Client, invoice: Invoice, fake: FakeStripe) -> str:
    """Press "Pay by card"; return the Checkout Session id the member is sent to."""
    response = client.post(f"/account/billing/invoices/{invoice.pk}/checkout/")
    assert response.status_code == 303, response.content[:300]
    assert response["Location"].startswith(f"{fake.base}/pay/cs_test_")
    return response["Location"].rsplit("/", 1)[1]


def _deliver(client: Client, fake: FakeStripe, session_id: str, capture: Any) -> Any:
    payload, header = fake.signed_event(session_id)
    with capture(execute=True):
        return client.post(WEBHOOK, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=header)


def test_tm6_the_member_pays_by_card_on_stripe_and_the_signed_webhook_marks_the_invoice_paid(
    member_client: Client, invoice: Invoice, fake_stripe: FakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    page = member_client.get(f"/account/billing/invoices/{invoice.pk}/")
    assert "Payer par carte" in page.content.decode()
    assert f"form-action 'self' {fake_stripe.base}" in page["Content-Security-Policy"]

    session_id = _checkout(member_client, invoice, fake_stripe)
    session = fake_stripe.sessions[session_id]
    assert (session["amount_total"], session["currency"], session["metadata"]) == (
        4900,
        "eur",
        {"invoice_id": str(invoice.pk)},
    )
    assert session["customer_email"] == "alice@example.org"
    fake_stripe.pay(session_id)
    response = _deliver(Client(), fake_stripe, session_id, django_capture_on_commit_callbacks)

    assert response.status_code == 200
    invoice.refresh_from_db()
    payment = Payment.objects.get()
    assert invoice.status == Invoice.Status.PAID
    assert (payment.provider, payment.reference, payment.amount, payment.currency, payment.status) == (
        "stripe",
        session_id,
        Decimal("49.00"),
        "EUR",
        "succeeded",
    )
    assert BillingEvent.objects.filter(kind=BillingEvent.Kind.INVOICE_PAID).count() == 1
    assert [email.subject for email in mail.outbox] == ["Paiement reçu pour la facture CM-2027-000001"]
    back = member_client.get(
        f"/account/billing/invoices/{invoice.pk}/checkout/return/?session_id={session_id}", follow=True
    )
    assert "Le paiement de la facture CM-2027-000001 est reçu" in back.content.decode()


def test_tm6_a_webhook_delivered_five_times_pays_once_extends_nothing_and_sends_one_email(
    member_client: Client, invoice: Invoice, fake_stripe: FakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    session_id = _checkout(member_client, invoice, fake_stripe)
    fake_stripe.pay(session_id)
    periods = list(Subscription.objects.values_list("pk", "starts_at", "ends_at"))

    statuses = [
        _deliver(Client(), fake_stripe, session_id, django_capture_on_commit_callbacks).status_code for _n in range(5)
    ]
    member_client.get(f"/account/billing/invoices/{invoice.pk}/checkout/return/?session_id={session_id}")

    assert statuses == [200] * 5
    assert Payment.objects.count() == 1
    assert BillingEvent.objects.filter(kind=BillingEvent.Kind.INVOICE_PAID).count() == 1
    assert list(Subscription.objects.values_list("pk", "starts_at", "ends_at")) == periods
    assert len(mail.outbox) == 1


def test_tm6_the_success_redirect_alone_pays_when_the_webhook_is_late(
    member_client: Client, invoice: Invoice, fake_stripe: FakeStripe, django_capture_on_commit_callbacks: Any
) -> None:
    session_id = _checkout(member_client, invoice, fake_stripe)
    fake_stripe.pay(session_id)

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.get(
            f"/account/billing/invoices/{invoice.pk}/checkout/return/?session_id={session_id}", follow=True
        )
    late = _deliver(Client(), fake_stripe, session_id, django_capture_on_commit_callbacks)

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.PAID
    assert "est reçu" in response.content.decode()
    assert late.status_code == 200
    assert Payment.objects.count() == 1
    assert len(mail.outbox) == 1


def test_tm6_returning_from_stripe_without_paying_pays_nothing(
    member_client: Client, invoice: Invoice, fake_stripe: FakeStripe
) -> None:
    session_id = _checkout(member_client, invoice, fake_stripe)

    response = member_client.get(
        f"/account/billing/invoices/{invoice.pk}/checkout/return/?session_id={session_id}", follow=True
    )

    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert "en cours de confirmation" in response.content.decode()
    assert not Payment.objects.exists()


@pytest.mark.parametrize(("amount", "currency"), [(4800, None), (4900, "usd")])
def test_tm6_an_amount_or_currency_that_does_not_match_pays_nothing_and_alerts_staff(
    member_client: Client,
    invoice: Invoice,
    fake_stripe: FakeStripe,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    amount: int,
    currency: str | None,
) -> None:
    settings.STAFF_ALERT_EMAILS = ["billing@cloudmentor.example"]
    session_id = _checkout(member_client, invoice, fake_stripe)
    fake_stripe.amount_override, fake_stripe.currency_override = amount, currency
    fake_stripe.pay(session_id)

    first = _deliver(Client(), fake_stripe, session_id, django_capture_on_commit_callbacks)
    again = _deliver(Client(), fake_stripe, session_id, django_capture_on_commit_callbacks)

    invoice.refresh_from_db()
    payment = Payment.objects.get()
    assert (first.status_code, again.status_code) == (200, 200)
    assert invoice.status == Invoice.Status.OPEN
    assert payment.status == Payment.Status.REJECTED
    assert [email.to for email in mail.outbox] == [["billing@cloudmentor.example"]]  # staff only, once
    assert "CM-2027-000001" in mail.outbox[0].subject
    assert "49.00 EUR" in mail.outbox[0].body
    assert BillingEvent.objects.filter(kind=BillingEvent.Kind.PAYMENT_REJECTED).count() == 1


def test_tm6_a_webhook_whose_signature_does_not_verify_is_refused(
    member_client: Client, invoice: Invoice, fake_stripe: FakeStripe
) -> None:
    session_id = _checkout(member_client, invoice, fake_stripe)
    fake_stripe.pay(session_id)
    payload = fake_stripe.event_payload(session_id)

    forged = Client().post(
        WEBHOOK,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(payload, "whsec_other"),
    )
    stale = Client().post(
        WEBHOOK,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(payload, timestamp=int(time.time()) - 3600),
    )
    tampered = Client().post(
        WEBHOOK,
        data=payload.replace(b"4900", b"100"),
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(payload),
    )
    unsigned = Client().post(WEBHOOK, data=payload, content_type="application/json")

    assert [r.status_code for r in (forged, stale, tampered, unsigned)] == [400, 400, 400, 400]
    assert not Payment.objects.exists()


def test_tm6_only_the_invoice_owner_can_open_a_card_payment(
    client: Client, invoice: Invoice, fake_stripe: FakeStripe
) -> None:
    UserFactory(username="mallory")
    log_in(client, "mallory")
    assert client.post(f"/account/billing/invoices/{invoice.pk}/checkout/").status_code == 403
    StaffFactory(username="root")
    staff = Client()
    log_in(staff, "root")
    assert staff.post(f"/account/billing/invoices/{invoice.pk}/checkout/").status_code == 403
    assert fake_stripe.sessions == {}


def test_tm6_card_details_never_reach_the_platform(
    member_client: Client, invoice: Invoice, fake_stripe: FakeStripe
) -> None:
    """The invoice page has no card field: card details are typed on the processor's page only."""
    page = member_client.get(f"/account/billing/invoices/{invoice.pk}/").content.decode().lower()

    for field in ('name="card', 'name="cvc', 'name="number', 'autocomplete="cc-'):
        assert field not in page


def test_tm6_a_processor_outage_is_explained_and_changes_nothing(
    member_client: Client, invoice: Invoice, fake_stripe: FakeStripe, settings: Any
) -> None:
    settings.BILLING_STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there

    response = member_client.post(f"/account/billing/invoices/{invoice.pk}/checkout/", follow=True)

    assert "momentanément indisponible" in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN


def test_tm6_a_paid_invoice_cannot_be_paid_again(
    member_client: Client, invoice: Invoice, fake_stripe: FakeStripe
) -> None:
    services.invoice_record_payment(
        invoice=invoice, amount=Decimal("49.00"), currency="EUR", reference="", actor=StaffFactory()
    )

    response = member_client.post(f"/account/billing/invoices/{invoice.pk}/checkout/", follow=True)

    assert "n&#x27;est plus à payer" in response.content.decode()
    assert fake_stripe.sessions == {}


@pytest.mark.parametrize(
    "event",
    [
        {"type": "checkout.session.completed"},
        {"type": "checkout.session.completed", "data": None},
        {"type": "checkout.session.completed", "data": {"object": "not a session"}},
        {"type": "checkout.session.async_payment_succeeded", "data": {"object": {}}},
    ],
)
def test_tr7_a_correctly_signed_but_malformed_event_is_refused_with_400(
    fake_stripe: FakeStripe, invoice: Invoice, event: dict[str, Any]
) -> None:
    """Stripe (or whoever holds the secret) sending an event without its session gets a 400, never a 500."""
    payload = json.dumps(event).encode()

    response = Client(raise_request_exception=False).post(
        WEBHOOK, data=payload, content_type="application/json", HTTP_STRIPE_SIGNATURE=signature_header(payload)
    )

    assert response.status_code == 400
    assert not Payment.objects.exists()
