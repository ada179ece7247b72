"""Billing in a browser: choose a plan, register, get the invoice, pay on (fake) Stripe Checkout;
another member misses the deadline and can only read the "contact support" message (TM-6, PV-3).

The card processor is the local fake of tests (cloudmentor/billing/tests/fake_stripe.py): the
real ``stripe`` library talks to it, and its payment page posts the signed webhook to the
live server before sending the browser back, as Stripe does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from cloudmentor.accounts.tests.factories import PASSWORD, UserFactory
from cloudmentor.billing import services
from cloudmentor.billing.models import Invoice, Payment
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.billing.tests.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe
from cloudmentor.legal.services import policy_seed
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a plan and a long passphrase"


@pytest.fixture
def fake_stripe(live_server, settings) -> Iterator[FakeStripe]:
    fake = FakeStripe(webhook_url=live_server.url + "/billing/webhooks/stripe/").start()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.BILLING_STRIPE_API_BASE = fake.base
    settings.BILLING_STRIPE_CHECKOUT_ORIGIN = fake.base
    settings.BILLING_IBAN = "FR76 3000 6000 0112 3456 7890 189"
    settings.SITE_URL = live_server.url
    yield fake
    fake.stop()


def test_tm6_choose_a_plan_register_get_the_invoice_and_pay_by_card(
    page: Page, live_server, fake_stripe: FakeStripe
) -> None:
    policy_seed()
    PlanFactory(slug="essentiel-1-mois", name="Essentiel 1 mois", price=Decimal("19.00"), duration_months=1, position=1)
    PlanFactory(slug="pro-3-mois", name="Pro 3 mois", price=Decimal("49.00"), duration_months=3, position=2)

    # Choose a plan.
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Offres", exact=True).click()
    expect(page).to_have_url(live_server.url + "/plans/")
    expect(page.locator("#plan-pro-3-mois")).to_contain_text("49,00 EUR")
    shot(page, "billing-01-plans")
    page.get_by_role("link", name="Choisir cette offre Pro 3 mois").click()
    expect(page).to_have_url(live_server.url + "/plans/pro-3-mois/subscribe/")
    expect(page.locator("#summary-plan")).to_have_text("Pro 3 mois")  # the order summary (BZ-2)

    # Register with it: usable at once.
    page.get_by_label("Nom d'utilisateur").fill("grace")
    page.get_by_label("Adresse e-mail").fill("grace@example.org")
    page.get_by_label("Mot de passe").fill(NEW_PASSWORD)
    page.get_by_label("J'accepte les conditions d'utilisation").check()
    page.locator("#id_consent").check()  # BZ-2: immediate access, withdrawal right given up
    shot(page, "billing-02-register-with-plan")
    page.get_by_role("button", name="Commander avec obligation de paiement").click()
    expect(page).to_have_url(live_server.url + "/account/billing/")
    expect(page.get_by_role("status")).to_contain_text("Bienvenue grace")
    expect(page.locator("#subscriptions")).to_contain_text("Pro 3 mois")
    expect(page.locator("#invoices")).to_have_count(0)  # the invoice comes later
    shot(page, "billing-03-account-before-invoice")

    # Three days later the billing run issues the invoice (the server's clock moves, not the browser's).
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1), tick=True):
        services.billing_run()
        invoice = Invoice.objects.get()
        page.goto(live_server.url + "/account/billing/")
        row = page.locator("#invoices tbody tr")
        expect(row).to_contain_text(invoice.number or "")
        expect(row).to_contain_text("À payer")
        shot(page, "billing-04-invoice-issued")

        # Pay inside the account area: the invoice page, then Stripe Checkout (the fake).
        page.get_by_role("link", name=f"Payer {invoice.number}").click()
        expect(page.locator("#bank-transfer")).to_contain_text("FR76 3000 6000 0112 3456 7890 189")
        expect(page.locator("#bank-transfer")).to_contain_text(invoice.number or "")
        shot(page, "billing-05-invoice-page")
        page.get_by_role("button", name="Payer par carte").click()
        expect(page).to_have_url(re.compile(re.escape(fake_stripe.base) + r"/pay/cs_test_\w+"))
        expect(page.locator("#amount")).to_have_text("49.00 EUR")
        shot(page, "billing-06-fake-stripe-checkout")
        page.get_by_role("button", name=re.compile("Payer")).click()

        expect(page).to_have_url(live_server.url + f"/account/billing/invoices/{invoice.pk}/")
        expect(page.get_by_role("status")).to_contain_text(f"Le paiement de la facture {invoice.number} est reçu")
        expect(page.locator("#invoice-status")).to_have_text("Payée")
        shot(page, "billing-07-paid")

        # The registration history shows it all, payment included.
        page.goto(live_server.url + "/account/history/")
        history = page.locator("#registration-history")
        for label in ("Inscription", "Abonnement souscrit", "Facture émise", "Facture payée"):
            expect(history).to_contain_text(label)
        shot(page, "billing-08-history")

    assert fake_stripe.webhook_statuses == [200]
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED


def test_tm6_a_member_who_misses_the_deadline_is_disabled_and_can_only_read_the_contact_message(
    page: Page, live_server, settings
) -> None:
    settings.SITE_URL = live_server.url
    dave = UserFactory(username="dave", email="dave@example.org")
    services.subscription_purchase(holder=dave, plan=PlanFactory(price=Decimal("19.00"), duration_months=1), actor=dave)
    with time_machine.travel(timezone.now() + timedelta(days=3, minutes=1), tick=False):
        services.billing_run()
    invoice = Invoice.objects.get()
    assert invoice.due_at is not None

    # Dave is logged in and uses the site...
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill("dave")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(live_server.url + "/account/billing/")
    expect(page.locator("#invoices")).to_contain_text("À payer")

    # ...the deadline passes unpaid: the billing run disables the account, with no email.
    with time_machine.travel(invoice.due_at + timedelta(seconds=1), tick=False):
        report = services.billing_run()
    assert report.disabled == 1

    # His session has ended: the next page asks him to log in, and logging in only shows the message.
    page.goto(live_server.url + "/account/billing/")
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/accounts/login/\?next="))
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill("dave")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre compte est désactivé")
    expect(page.locator("main")).to_contain_text("contactez l'assistance par e-mail")
    expect(page.get_by_role("link", name="Écrire à l'assistance")).to_have_attribute("href", re.compile("^mailto:"))
    assert [cookie["name"] for cookie in page.context.cookies()] in ([], ["cm_form_login"])
    shot(page, "billing-09-disabled-contact-support")
