"""A staff member sees the business at a glance (BZ-5), in French then in English.

Staff log in (password, then TOTP code) and land on the staff home: the work waiting (an
overdue invoice, an error report, a data request), the members by plan, the charts drawn by
the server; a figure opens its filtered list; the same page under /en/staff/. No request
leaves for another site, and /favicon.ico answers.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cloudmentor.accounts.services import staff_totp_device_create
from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.billing.models import AccessLevel, Invoice, Payment
from cloudmentor.billing.tests.factories import InvoiceFactory, PlanFactory, SubscriptionFactory
from cloudmentor.learning.models import ErrorReport
from cloudmentor.learning.tests.factories import LessonFactory
from cloudmentor.operations.models import ContactMessage
from tests.browser.conftest import shot, staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def business() -> None:
    """A few weeks of a small business: sales, a payment, an overdue invoice, messages waiting."""
    now = timezone.now()
    pro = PlanFactory(name="Pro 12 mois", name_en="Pro 12 months", access_level=AccessLevel.PRO, duration_months=12)
    essential = PlanFactory(
        name="Essentiel 3 mois", name_en="Essential 3 months", access_level=AccessLevel.ESSENTIAL, duration_months=3
    )
    for index in range(9):
        plan = pro if index % 3 == 0 else essential
        SubscriptionFactory(plan=plan, price=plan.price, created_at=now - timedelta(days=5 * index))
    late = SubscriptionFactory(plan=essential, price=Decimal("49.00"), starts_at=now - timedelta(days=40))
    invoice = InvoiceFactory(
        subscription=late,
        status=Invoice.Status.OPEN,
        number="CM-2026-0042",
        year=2026,
        sequence=42,
        issued_at=now - timedelta(days=20),
        due_at=now - timedelta(days=6),
    )
    Payment.objects.create(
        invoice=InvoiceFactory(
            subscription=SubscriptionFactory(plan=pro, price=pro.price),
            status=Invoice.Status.OPEN,
            number="CM-2026-0043",
            year=2026,
            sequence=43,
            issued_at=now,
            due_at=now + timedelta(days=14),
        ),
        provider=Payment.Provider.MANUAL,
        amount=pro.price,
        currency="EUR",
        status=Payment.Status.SUCCEEDED,
    )
    ErrorReport.objects.create(lesson=LessonFactory(), reporter=UserFactory(), message="Une coquille dans l'exemple")
    ContactMessage.objects.create(
        name="Léa", email="lea@example.org", subject="Effacement de mes données", message="…", language="fr"
    )
    assert invoice.pk


def test_bz5_staff_see_the_business_at_a_glance_in_french_and_english(page: Page, live_server, business: None) -> None:
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = staff_totp_device_create(user=staff)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    staff_log_in(page, live_server.url + "/staff/", device)

    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.get_by_role("heading", name="À traiter")).to_be_visible()
    overdue = page.locator(".tile", has_text="Factures en retard")
    expect(overdue).to_contain_text("1")
    expect(overdue).to_contain_text("49,00 €")
    expect(page.locator(".tile", has_text="Demandes sur les données personnelles")).to_contain_text("1")
    expect(page.locator(".tile", has_text="Signalements d'erreur ouverts")).to_contain_text("1")
    expect(page.get_by_role("table", name="Abonnés par offre")).to_contain_text("Pro 12 mois")
    expect(page.locator("svg.staff-chart__svg")).to_have_count(2)
    expect(page.get_by_role("link", name="Journal des requêtes")).to_be_visible()
    shot(page, "staff-home-fr")

    page.get_by_role("button", name="Recalculer maintenant").click()
    expect(page).to_have_url(re.compile(r"/staff/$"))
    expect(page.locator(".tile", has_text="Factures en retard")).to_contain_text("49,00 €")

    overdue.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/staff/billing/invoice/\?follow=overdue$"))
    expect(page.get_by_text("CM-2026-0042")).to_be_visible()

    page.goto(live_server.url + "/en/staff/")
    expect(page.get_by_role("heading", name="To do")).to_be_visible()
    expect(page.locator(".tile", has_text="Overdue invoices")).to_contain_text("€49.00")
    expect(page.get_by_role("table", name="Subscribers by plan")).to_contain_text("Pro 12 months")
    expect(page.get_by_role("link", name="Staff second factor")).to_be_visible()
    shot(page, "staff-home-en")

    favicon = page.request.get(live_server.url + "/favicon.ico")
    assert favicon.status == 200
    assert favicon.headers["content-type"] == "image/x-icon"
    assert all(url.startswith(live_server.url) for url in requested), "a request left for another site"
