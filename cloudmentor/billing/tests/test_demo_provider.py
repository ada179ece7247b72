"""The demo payment provider (BZ-1): Stripe Checkout's paths, answered by this site, outside production."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.checks import run_checks
from django.test import Client
from django_otp.oath import totp

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.billing import services
from cloudmentor.billing.exceptions import DemoProviderRefused, WebhookRejected
from cloudmentor.billing.models import BillingEvent, DemoCheckoutSession, Invoice, Payment, Plan
from cloudmentor.billing.providers import demo, payment_provider_name
from conftest import production_python

from .conftest import log_in
from .factories import PlanFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _demo_provider(settings: Any) -> None:
    settings.BILLING_PAYMENT_PROVIDER = "demo"
    settings.STRIPE_SECRET_KEY = ""


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


def _checkout(client: Client, invoice: Invoice) -> str:
    """Press "Pay by card"; return the demo session the member is sent to."""
    response = client.post(f"/account/billing/invoices/{invoice.pk}/checkout/")
    assert response.status_code == 303, response.content[:300]
    assert response["Location"].startswith("/billing/demo/checkout/cs_demo_")
    return str(response["Location"]).rstrip("/").rsplit("/", 1)[1]


def test_bz1_without_a_stripe_key_a_development_machine_uses_the_demo_provider(settings: Any) -> None:
    """Nothing to configure on `make run`: the demo provider outside production, Stripe once its key is set."""
    settings.BILLING_PAYMENT_PROVIDER = ""
    settings.ENVIRONMENT = "development"
    assert payment_provider_name() == "demo"
    settings.STRIPE_SECRET_KEY = "sk_test_x"
    assert payment_provider_name() == "stripe"
    settings.STRIPE_SECRET_KEY, settings.ENVIRONMENT = "", "test"
    assert payment_provider_name() == ""


def test_bz1_tm6_a_member_pays_an_invoice_on_the_demo_page_through_the_signed_webhook_path(
    member_client: Client, invoice: Invoice, django_capture_on_commit_callbacks: Any
) -> None:
    """Pay (success): the signed event pays the invoice once, the return page confirms, one receipt email."""
    page = member_client.get(f"/account/billing/invoices/{invoice.pk}/").content.decode()
    assert 'id="pay-by-card"' in page and 'id="demo-payments"' in page
    session_id = _checkout(member_client, invoice)

    demo_page = Client().get(f"/billing/demo/checkout/{session_id}/")
    body = demo_page.content.decode()
    assert demo_page.status_code == 200
    assert all(label in body for label in ("Payer (succès)", "Refus de la carte", "Abandon", "49,00 EUR"))
    with django_capture_on_commit_callbacks(execute=True):
        paid = Client().post(f"/billing/demo/checkout/{session_id}/", {"action": "pay"})
    assert paid.status_code == 303
    assert paid["Location"].endswith(f"/account/billing/invoices/{invoice.pk}/checkout/return/?session_id={session_id}")
    back = member_client.get(paid["Location"], follow=True)

    invoice.refresh_from_db()
    payment = Payment.objects.get()
    assert invoice.status == Invoice.Status.PAID
    assert (payment.provider, payment.reference, payment.amount, payment.status) == (
        "demo",
        session_id,
        Decimal("49.00"),
        "succeeded",
    )
    assert "Le paiement de la facture CM-2027-000001 est reçu" in back.content.decode()
    assert [email.subject for email in mail.outbox] == ["Paiement reçu pour la facture CM-2027-000001"]
    assert BillingEvent.objects.filter(kind=BillingEvent.Kind.INVOICE_PAID).count() == 1


def test_bz1_paying_twice_or_replaying_the_event_pays_once(
    member_client: Client, invoice: Invoice, django_capture_on_commit_callbacks: Any
) -> None:
    session_id = _checkout(member_client, invoice)
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(f"/billing/demo/checkout/{session_id}/", {"action": "pay"})
        again = Client().post(f"/billing/demo/checkout/{session_id}/", {"action": "pay"})
        payload, signature, _url = demo.session_pay(session_id)
        services.payment_webhook_handle(provider="demo", payload=payload, signature=signature)

    assert again.status_code == 303
    assert Payment.objects.count() == 1
    assert len(mail.outbox) == 1


def test_bz1_a_demo_event_whose_signature_does_not_verify_is_refused(member_client: Client, invoice: Invoice) -> None:
    """The demo events are checked like Stripe's: a forged one, or one signed with Stripe's secret, pays nothing."""
    session_id = _checkout(member_client, invoice)
    payload, _signature, _url = demo.session_pay(session_id)
    forged = json.loads(payload)
    forged["data"]["object"]["amount_total"] = 100
    forged_payload = json.dumps(forged).encode()

    with pytest.raises(WebhookRejected):
        services.payment_webhook_handle(provider="demo", payload=forged_payload, signature=_signature)
    with pytest.raises(WebhookRejected):
        services.payment_webhook_handle(provider="demo", payload=payload, signature="t=1,v1=00")
    assert not Payment.objects.exists()


def test_bz1_a_declined_card_takes_nothing_and_offers_to_try_again(member_client: Client, invoice: Invoice) -> None:
    session_id = _checkout(member_client, invoice)

    declined = Client().post(f"/billing/demo/checkout/{session_id}/", {"action": "decline"})

    assert declined.status_code == 200
    assert "Carte refusée : aucun montant n'a été débité" in declined.content.decode()
    assert 'id="demo-pay"' in declined.content.decode()
    assert DemoCheckoutSession.objects.get().declines == 1
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert not Payment.objects.exists()
    assert mail.outbox == []


def test_bz1_abandoning_goes_back_to_the_unpaid_invoice_and_the_session_cannot_be_paid_later(
    member_client: Client, invoice: Invoice
) -> None:
    session_id = _checkout(member_client, invoice)

    left = Client().post(f"/billing/demo/checkout/{session_id}/", {"action": "abandon"})
    late = Client().post(f"/billing/demo/checkout/{session_id}/", {"action": "pay"})

    assert left.status_code == 303
    assert left["Location"].endswith(f"/account/billing/invoices/{invoice.pk}/")
    assert late.status_code == 200 and "abandonné" in late.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == Invoice.Status.OPEN
    assert not Payment.objects.exists()


def test_bz1_the_demo_page_exists_in_english() -> None:
    session = demo.payment_session_create(
        metadata={"invoice_id": "1"},
        client_reference_id="1",
        description="Pro 3 months",
        amount=Decimal("49.00"),
        currency="EUR",
        customer_email="",
        success_url="/",
        cancel_url="/",
        idempotency_key="k",
    )

    page = Client().get(f"/en/billing/demo/checkout/{session.id}/").content.decode()

    assert all(label in page for label in ("Pay (success)", "Card declined", "Abandon", "Demo payment"))


def test_bz1_an_unknown_demo_session_is_a_404() -> None:
    assert Client().get("/billing/demo/checkout/cs_demo_nope/").status_code == 404
    assert Client().post("/billing/demo/checkout/<script>/", {"action": "pay"}).status_code == 404


def test_bz1_the_demo_provider_is_refused_in_production(settings: Any, member_client: Client, invoice: Invoice) -> None:
    """A system check error stops the start, and every call is refused at run time too."""
    session_id = _checkout(member_client, invoice)
    settings.PRODUCTION = True

    errors = {error.id: error.msg for error in run_checks(tags=None) if error.id and error.id.startswith("billing.E10")}
    with pytest.raises(DemoProviderRefused, match="never runs in production"):
        demo.payment_session_create(
            metadata={},
            client_reference_id="",
            description="x",
            amount=Decimal("1.00"),
            currency="EUR",
            customer_email="",
            success_url="/",
            cancel_url="/",
            idempotency_key="k",
        )
    page = member_client.get(f"/account/billing/invoices/{invoice.pk}/").content.decode()

    assert "billing.E101" in errors and "refused in production" in errors["billing.E101"]
    assert Client().get(f"/billing/demo/checkout/{session_id}/").status_code == 404
    assert Client().post(f"/billing/demo/checkout/{session_id}/", {"action": "pay"}).status_code == 404
    assert 'id="pay-by-card"' not in page
    assert not Payment.objects.exists()


def test_bz1_demo_bank_details_are_refused_in_production(settings: Any) -> None:
    settings.PRODUCTION = True
    settings.BILLING_PAYMENT_PROVIDER = ""
    settings.BILLING_IBAN = "FR76 0000 0000 0000 DEMO 0000 000"

    ids = {error.id for error in run_checks()}

    assert "billing.E102" in ids and "billing.E101" not in ids


def test_bz1_production_settings_have_no_demo_bank_details_and_refuse_the_demo_provider(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Production as it runs: no fake IBAN by default, no card provider without Stripe, `demo` stops the start."""
    shown = production_python(
        "from django.conf import settings\n"
        "from cloudmentor.billing.providers import payment_provider_name\n"
        "print(repr(settings.BILLING_IBAN), repr(settings.BILLING_BIC), repr(payment_provider_name()))"
    )
    monkeypatch.setenv("BILLING_PAYMENT_PROVIDER", "demo")
    refused = production_python(
        "from django.core.checks import run_checks\n"
        "print(sorted(error.id for error in run_checks() if error.id.startswith('billing.E10')))"
    )

    assert shown.strip() == "'' '' ''"
    assert "billing.E101" in refused


def test_bz1_a_development_machine_gets_the_demo_bank_details(tmp_path: Any) -> None:
    """`make run` (CLOUDMENTOR_ENV=development): clearly fake bank details, so the transfer path shows."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("CLOUDMENTOR_", "DJANGO_"))}
    environment.update(
        CLOUDMENTOR_ENV="development", CLOUDMENTOR_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="cloudmentor.settings"
    )
    done = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings\nprint(settings.BILLING_IBAN, settings.BILLING_BIC)"],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert done.stdout.strip() == "FR76 0000 0000 0000 DEMO 0000 000 DEMOFRPPXXX"


def test_bz1_tm6_staff_issue_a_draft_now_and_the_member_pays_it_on_the_demo_page(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """On `make run` nobody waits three days: staff « issue now », the member gets the notice and pays."""
    carol = UserFactory(username="carol", email="carol@example.org")
    services.subscription_purchase(holder=carol, plan=PlanFactory(price=Decimal("19.00")), actor=carol)
    draft = Invoice.objects.get()
    staff = StaffFactory(username="root")
    device = accounts_services.staff_totp_device_create(user=staff)
    log_in(client, "root")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"})

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/staff/billing/invoice/", {"action": "issue_now", "_selected_action": [draft.pk]}, follow=True
        )
    draft.refresh_from_db()
    member = Client()
    log_in(member, "carol")
    with django_capture_on_commit_callbacks(execute=True):
        opened = member.post(f"/account/billing/invoices/{draft.pk}/checkout/")
        member.post(opened["Location"], {"action": "pay"})

    assert "1 facture émise." in done.content.decode()
    assert draft.status == Invoice.Status.OPEN and draft.number
    assert [email.subject for email in mail.outbox if email.to == ["carol@example.org"]] == [
        f"Votre facture {draft.number} est disponible",
        f"Paiement reçu pour la facture {draft.number}",
    ]
    draft.refresh_from_db()
    assert draft.status == Invoice.Status.PAID
