"""A newcomer's purchase on a fresh set-up, in a browser: the demo payment provider and the lawful checkout.

Register with a plan after reading the order summary and ticking the consent box, get the
order confirmation, the invoice three days later, pay it on the demo provider's page (a
declined card first), see it paid and get the receipt; give; the summary and the demo page
in English too (BZ-1, BZ-2, TM-6, TM-8, TM-10). Emails arrive on a real SMTP server.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from cloudmentor.billing import services
from cloudmentor.billing.models import CheckoutConsent, Invoice, Payment
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.donations.models import Donation
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a plan and a long passphrase"


@pytest.fixture
def fresh_machine(live_server: Any, settings: Any) -> None:
    """What `make run` has: no Stripe key, the demo provider, the demo bank details."""
    settings.BILLING_PAYMENT_PROVIDER = "demo"
    settings.STRIPE_SECRET_KEY = ""
    settings.BILLING_IBAN = "FR76 0000 0000 0000 DEMO 0000 000"
    settings.BILLING_BIC = "DEMOFRPPXXX"
    settings.SITE_URL = live_server.url


def test_bz1_bz2_register_read_the_summary_consent_pay_with_the_demo_provider_and_give(
    page: Page, live_server: Any, fresh_machine: None, smtp_server: Any
) -> None:
    PlanFactory(slug="pro-3-mois", name="Pro 3 mois", name_en="Pro 3 months", price=Decimal("49.00"), duration_months=3)
    base = live_server.url

    # Choose a plan and read the order summary before the button.
    page.goto(base + "/plans/")
    page.get_by_role("link", name="Choisir cette offre Pro 3 mois").click()
    expect(page).to_have_url(base + "/plans/pro-3-mois/subscribe/")
    summary = page.locator("#order-summary")
    expect(summary).to_contain_text("Pro 3 mois")
    expect(summary).to_contain_text("49,00 EUR")
    expect(summary).to_contain_text("TVA non applicable, art. 293 B du CGI")
    expect(summary).to_contain_text("prestataire de démonstration")
    expect(summary).to_contain_text("virement bancaire")
    expect(page.locator("#id_consent")).not_to_be_checked()
    shot(page, "checkout-01-summary-fr")

    # Register with it: refused without the consent box, accepted with it.
    page.get_by_label("Nom d'utilisateur").fill("grace")
    page.get_by_label("Adresse e-mail").fill("grace@example.org")
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("J'accepte les conditions d'utilisation").check()
    page.get_by_role("button", name="Commander avec obligation de paiement").click()
    expect(page.locator("#id_consent_error")).to_contain_text("Pour commander, cochez la case")
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Commander avec obligation de paiement").click()
    expect(page).to_have_url(base + "/account/billing/")
    expect(page.get_by_role("status")).to_contain_text("Bienvenue grace")
    assert CheckoutConsent.objects.get().subscription.customer.user.username == "grace"
    confirmation = smtp_server.wait_for(to="grace@example.org", subject="Votre commande : Pro 3 mois")
    assert "droit de rétractation" in confirmation.get_payload(decode=True).decode()

    # Three days later the invoice is issued; it is paid on the demo provider's page.
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1), tick=True):
        services.billing_run()
        invoice = Invoice.objects.get()
        page.goto(base + "/account/billing/")
        page.get_by_role("link", name=f"Payer {invoice.number}").click()
        expect(page.locator("#bank-transfer")).to_contain_text("DEMO")
        expect(page.locator("#demo-payments")).to_be_visible()
        page.get_by_role("button", name="Payer par carte").click()
        expect(page).to_have_url(re.compile(re.escape(base) + r"/billing/demo/checkout/cs_demo_\w+/"))
        expect(page.locator("#demo-amount")).to_have_text("49,00 EUR")
        shot(page, "checkout-02-demo-payment-fr")
        page.get_by_role("button", name="Refus de la carte").click()
        expect(page.locator("#demo-declined")).to_contain_text("Carte refusée")
        page.get_by_role("button", name="Payer (succès)").click()
        expect(page).to_have_url(base + f"/account/billing/invoices/{invoice.pk}/")
        expect(page.get_by_role("status")).to_contain_text(f"Le paiement de la facture {invoice.number} est reçu")
        expect(page.locator("#invoice-status")).to_have_text("Payée")
        shot(page, "checkout-03-invoice-paid")
    assert Payment.objects.get().provider == Payment.Provider.DEMO
    smtp_server.wait_for(to="grace@example.org", subject=f"Paiement reçu pour la facture {invoice.number}")

    # The summary of an extension, in English: it starts when the current period ends (TM-8).
    page.goto(base + "/en/plans/pro-3-mois/subscribe/")
    expect(page.locator("#order-summary")).to_contain_text("Order summary")
    expect(page.locator("#order-summary")).to_contain_text("following your current period")
    expect(page.get_by_role("button", name="Place order with obligation to pay")).to_be_visible()
    shot(page, "checkout-04-summary-en")

    # A donation, paid on the demo page; then one in English, abandoned.
    page.goto(base + "/donate/")
    expect(page.locator("#demo-donations")).to_be_visible()
    page.get_by_text("10 €").click()
    page.get_by_role("button", name="Continuer vers le paiement").click()
    page.get_by_role("button", name="Payer (succès)").click()
    expect(page.get_by_role("heading", name="Merci pour votre don !")).to_be_visible()
    smtp_server.wait_for(to="grace@example.org", subject="Merci pour votre don")
    shot(page, "checkout-05-donation-thanks")

    page.goto(base + "/en/donate/")
    page.get_by_text("25 €").click()
    page.get_by_role("button", name=re.compile("payment", re.I)).click()
    expect(page.get_by_role("button", name="Pay (success)")).to_be_visible()
    expect(page.get_by_role("button", name="Card declined")).to_be_visible()
    shot(page, "checkout-06-demo-payment-en")
    page.get_by_role("button", name="Abandon").click()
    expect(page).to_have_url(re.compile(re.escape(base) + r"/en/donate/cancelled/"))
    assert sorted(Donation.objects.values_list("status", flat=True)) == ["paid", "pending"]
