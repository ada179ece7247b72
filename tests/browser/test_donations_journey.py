"""Donations in a browser: a visitor gives 10 € through the (fake) Stripe Checkout page and sees the
thank-you page, in French and in English (TM-10).

The card processor is the local fake of tests (billing's fake, keeping the donation's metadata):
the real ``stripe`` library talks to it, and its payment page posts the signed webhook to the
live server before sending the browser back, as Stripe does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from cloudmentor.donations.models import Donation
from cloudmentor.donations.tests.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, DonationFakeStripe
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def fake_stripe(live_server, settings) -> Iterator[DonationFakeStripe]:
    fake = DonationFakeStripe(webhook_url=live_server.url + "/billing/webhooks/stripe/").start()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.BILLING_STRIPE_API_BASE = fake.base
    settings.BILLING_STRIPE_CHECKOUT_ORIGIN = fake.base
    settings.SITE_URL = live_server.url
    yield fake
    fake.stop()


def test_tm10_a_visitor_donates_10_euros_through_stripe_checkout_and_is_thanked(
    page: Page, live_server, fake_stripe: DonationFakeStripe
) -> None:
    # From the footer of any page.
    page.goto(live_server.url + "/")
    expect(page.locator("#donate-line")).to_be_visible()
    page.locator("footer").get_by_role("link", name="Faire un don").click()
    expect(page).to_have_url(live_server.url + "/donate/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Faire un don")
    shot(page, "donations-01-form-fr")

    # A bad amount first: a clear message, nothing stored.
    page.get_by_label("Autre montant (en euros)").fill("10,123")
    page.get_by_role("button", name="Continuer vers le paiement").click()
    expect(page.locator(".field__error")).to_contain_text("Au plus deux chiffres après la virgule")
    shot(page, "donations-02-bad-amount-fr")
    assert not Donation.objects.exists()

    page.get_by_label("Autre montant (en euros)").fill("")
    page.get_by_label("10 €").check()
    page.get_by_label("Nom à remercier").fill("Ada")
    page.get_by_label("E-mail pour le reçu").fill("ada@example.org")
    page.get_by_role("button", name="Continuer vers le paiement").click()
    expect(page).to_have_url(re.compile(re.escape(fake_stripe.base) + r"/pay/cs_test_\w+"))
    expect(page.locator("#amount")).to_have_text("10.00 EUR")
    shot(page, "donations-03-fake-stripe-checkout")
    page.get_by_role("button", name=re.compile("Payer")).click()

    expect(page).to_have_url(
        re.compile(re.escape(live_server.url) + r"/donate/thanks/[0-9a-f-]+/\?session_id=cs_test_\w+")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Merci pour votre don !")
    donation = Donation.objects.get()
    expect(page.locator("#donation-receipt")).to_contain_text(donation.reference)
    expect(page.locator("#donation-receipt")).to_contain_text("10,00 EUR")
    shot(page, "donations-04-thanks-fr")
    assert (donation.status, donation.amount) == (Donation.Status.PAID, Decimal("10.00"))
    assert fake_stripe.webhook_statuses == [200]

    # The same in English.
    page.goto(live_server.url + "/en/donate/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a donation")
    shot(page, "donations-05-form-en")
    page.get_by_label("10 €").check()
    page.get_by_label("Email for the receipt").fill("ada@example.org")
    page.get_by_role("button", name="Continue to payment").click()
    expect(page).to_have_url(re.compile(re.escape(fake_stripe.base) + r"/pay/cs_test_\w+"))
    page.get_by_role("button", name=re.compile("Payer")).click()
    expect(page).to_have_url(re.compile(re.escape(live_server.url) + r"/en/donate/thanks/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your donation!")
    expect(page.locator("#donation-receipt")).to_contain_text("10.00 EUR")
    shot(page, "donations-06-thanks-en")

    assert Donation.objects.filter(status=Donation.Status.PAID).count() == 2
    assert len([email for email in mail.outbox if email.to == ["ada@example.org"]]) == 2
