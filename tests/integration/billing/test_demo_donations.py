"""Donations through the demo payment provider (BZ-1, TM-10): `/donate/` works on `make run`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from cloudmentor.billing.models import DemoCheckoutSession, Payment
from cloudmentor.donations.models import Donation, DonationPayment
from conftest import form_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _development_machine(settings: Any) -> None:
    """A fresh `make run`: no Stripe key, no provider named, a development machine."""
    settings.ENVIRONMENT = "development"
    settings.BILLING_PAYMENT_PROVIDER = ""
    settings.STRIPE_SECRET_KEY = ""


def _give(client: Client, data: dict[str, Any]) -> Any:
    page = client.get("/donate/")
    assert page.status_code == 200
    assert 'id="donations-off"' not in page.content.decode()
    return client.post("/donate/", {"form_token": form_token(page), **data})


def test_bz1_tm10_a_visitor_donates_with_the_demo_provider_and_gets_the_receipt(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """The form opens a demo payment; "pay" goes through the signed-event path to the thank-you page and email."""
    page = client.get("/donate/").content.decode()
    assert "momentanément indisponibles" not in page
    assert 'id="demo-donations"' in page

    response = _give(client, {"preset": "10", "email": "ana@example.org"})
    assert response.status_code == 303, response.content[:300]
    assert response["Location"].startswith("/billing/demo/checkout/cs_demo_")
    session = DemoCheckoutSession.objects.get()
    donation = Donation.objects.get()
    assert (session.amount, session.currency, session.metadata) == (
        Decimal("10.00"),
        "EUR",
        {"donation_id": str(donation.pk)},
    )
    with django_capture_on_commit_callbacks(execute=True):
        paid = Client().post(response["Location"], {"action": "pay"})
    thanks = client.get(paid["Location"])

    donation.refresh_from_db()
    assert paid.status_code == 303
    assert (donation.status, donation.reference) == ("paid", f"DON-{donation.paid_at:%Y}-000001")
    assert DonationPayment.objects.get().session_id == session.id
    assert "Merci pour votre don" in thanks.content.decode()
    assert [email.to for email in mail.outbox] == [["ana@example.org"]]
    assert not Payment.objects.exists()  # the invoice path was not taken


def test_bz1_tm10_abandoning_the_demo_payment_shows_that_nothing_was_charged(client: Client) -> None:
    response = _give(client, {"preset": "25"})

    left = Client().post(response["Location"], {"action": "abandon"})
    cancelled = client.get(left["Location"])

    assert left.status_code == 303 and "/donate/cancelled/" in left["Location"]
    assert cancelled.status_code == 200
    assert Donation.objects.get().status == Donation.Status.PENDING
    assert not DonationPayment.objects.exists()
    assert mail.outbox == []


def test_bz1_tm10_donations_are_closed_without_any_provider(client: Client, settings: Any) -> None:
    """Outside development, without a Stripe key, the page still says so (nothing half-written)."""
    settings.ENVIRONMENT = "test"

    page = client.get("/donate/").content.decode()

    assert 'id="donations-off"' in page
    assert not Donation.objects.exists()
