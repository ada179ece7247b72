"""Staff at /staff/: plans, subscriptions, invoices and payments, with the billing actions (TM-4, TM-6, TM-7, TM-8, PV-3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.oath import totp

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import AccountEvent, User
from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.billing import services
from cloudmentor.billing.models import AccessLevel, BillingEvent, Invoice, Payment, Plan, Subscription

from .conftest import log_in
from .factories import PlanFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def staff() -> User:
    return StaffFactory(username="root", email="root@cloudmentor.example")


@pytest.fixture
def staff_client(client: Client, staff: User) -> Client:
    device = accounts_services.staff_totp_device_create(user=staff)
    log_in(client, "root")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    response = client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"})
    assert response["Location"] == "/staff/"
    return client


@pytest.fixture
def pro() -> Plan:
    return PlanFactory(slug="pro-3", name="Pro 3 mois", price=Decimal("49.00"), duration_months=3)


@pytest.fixture
def alice() -> User:
    return UserFactory(username="alice", email="alice@example.org")


def test_tm6_staff_see_plans_subscriptions_invoices_payments_and_history(
    staff_client: Client, alice: User, pro: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    services.subscription_purchase(holder=alice, plan=pro, actor=alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_issue_due(now=datetime.now(tz=UTC) + timedelta(days=4))
    invoice = Invoice.objects.get()
    services.invoice_record_payment(
        invoice=invoice, amount=Decimal("49.00"), currency="EUR", reference="V1", actor=alice
    )

    for url in (
        "/staff/billing/plan/",
        "/staff/billing/customer/",
        "/staff/billing/subscription/",
        "/staff/billing/invoice/",
        "/staff/billing/payment/",
        "/staff/billing/billingevent/",
        f"/staff/billing/invoice/{invoice.pk}/change/",
    ):
        response = staff_client.get(url)
        assert response.status_code == 200, url
    page = staff_client.get("/staff/billing/invoice/").content.decode()
    assert invoice.number in page and "49,00" in page and "EUR" in page


def test_tm6_the_staff_invoice_list_costs_a_fixed_number_of_queries(
    staff_client: Client, pro: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    def issue(count: int) -> None:
        for _n in range(count):
            member = UserFactory()
            services.subscription_purchase(holder=member, plan=pro, actor=member)
        with django_capture_on_commit_callbacks(execute=True):
            services.invoice_issue_due(now=datetime.now(tz=UTC) + timedelta(days=4))

    issue(1)
    staff_client.get("/staff/billing/invoice/")  # the session's first touch of the interval is not the page's
    with CaptureQueriesContext(connection) as few:
        staff_client.get("/staff/billing/invoice/")
    issue(8)
    with CaptureQueriesContext(connection) as many:
        staff_client.get("/staff/billing/invoice/")

    assert len(many) == len(few)


def test_tm4_staff_grant_free_access_from_the_staff_area(staff_client: Client, staff: User, alice: User) -> None:
    response = staff_client.post(
        "/staff/billing/subscription/grant/",
        {
            "member": "alice@example.org",
            "access_level": str(AccessLevel.EXPERT),
            "starts_at": "2027-03-01 10:00",
            "ends_at": "2027-04-01 10:00",
            "reason": "intervenant de la conférence",
        },
    )

    grant = Subscription.objects.get()
    assert response.status_code == 302
    assert (grant.customer.user, grant.access_level, grant.price, grant.created_by) == (alice, 30, Decimal("0"), staff)
    assert not Invoice.objects.exists()
    assert BillingEvent.objects.get().detail == "intervenant de la conférence"


def test_tm8_staff_move_a_subscription_to_a_longer_duration_and_invoice_the_difference(
    staff_client: Client, staff: User, alice: User, pro: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    PlanFactory(slug="pro-1", duration_months=1)  # shorter: not offered
    longer = PlanFactory(slug="pro-12", name="Pro 12 mois", duration_months=12, price=Decimal("149.00"))
    subscription = services.subscription_purchase(holder=alice, plan=pro, actor=alice)
    form = staff_client.get(f"/staff/billing/subscription/{subscription.pk}/change-duration/").content.decode()
    assert "Pro 12 mois" in form and "pro-1" not in form

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            f"/staff/billing/subscription/{subscription.pk}/change-duration/",
            {"plan": str(longer.pk), "invoice_difference": "on", "reason": "demande par e-mail"},
        )

    assert response.status_code == 302
    added = Subscription.objects.get(source=Subscription.Source.STAFF_CHANGE)
    assert (added.changed_from, added.created_by, added.price) == (subscription, staff, Decimal("100.00"))
    assert Invoice.objects.get(subscription=added).status == Invoice.Status.OPEN
    assert BillingEvent.objects.filter(kind=BillingEvent.Kind.STAFF_CHANGED, actor=staff).count() == 1
    assert len(mail.outbox) == 1  # the member is told an invoice is available


def test_tm6_staff_record_a_late_bank_transfer_and_re_enable_from_the_staff_area(
    staff_client: Client, staff: User, alice: User, pro: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        services.subscription_purchase(holder=alice, plan=pro, actor=alice)
    with time_machine.travel(T0 + timedelta(days=3), tick=False), django_capture_on_commit_callbacks(execute=True):
        services.billing_run()
    invoice = Invoice.objects.get()
    assert invoice.due_at is not None
    with time_machine.travel(invoice.due_at + timedelta(seconds=1), tick=False):
        services.billing_run()
    alice.refresh_from_db()
    assert not alice.is_active

    response = staff_client.post(
        f"/staff/billing/invoice/{invoice.pk}/record-payment/",
        {"amount": "49.00", "currency": "EUR", "reference": "VIR 42", "reenable": "on", "reason": "virement reçu"},
    )

    alice.refresh_from_db()
    invoice.refresh_from_db()
    assert response.status_code == 302
    assert (invoice.status, alice.is_active) == (Invoice.Status.PAID, True)
    payment = Payment.objects.get()
    assert (payment.provider, payment.reference, payment.recorded_by) == ("manual", "VIR 42", staff)
    assert AccountEvent.objects.get(user=alice, kind=AccountEvent.Kind.ENABLED).actor == staff


def test_tm7_staff_cannot_void_a_paid_invoice(
    staff_client: Client, alice: User, pro: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    services.subscription_purchase(holder=alice, plan=pro, actor=alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_issue_due(now=datetime.now(tz=UTC) + timedelta(days=4))
    invoice = Invoice.objects.get()
    services.invoice_record_payment(invoice=invoice, amount=Decimal("49.00"), currency="EUR", reference="", actor=alice)

    response = staff_client.post(f"/staff/billing/invoice/{invoice.pk}/void/", {"reason": "remboursement demandé"})

    invoice.refresh_from_db()
    assert response.status_code == 200
    assert "pas de remboursement" in response.content.decode()
    assert invoice.status == Invoice.Status.PAID


def test_tm6_staff_void_an_unpaid_invoice_and_its_number_stays_used(
    staff_client: Client, alice: User, pro: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    services.subscription_purchase(holder=alice, plan=pro, actor=alice)
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_issue_due(now=datetime.now(tz=UTC) + timedelta(days=4))
    invoice = Invoice.objects.get()

    staff_client.post(f"/staff/billing/invoice/{invoice.pk}/void/", {"reason": "erreur de saisie"})

    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == (Invoice.Status.VOID, "CM-" + invoice.number.split("-", 1)[1])
    assert BillingEvent.objects.get(kind=BillingEvent.Kind.INVOICE_VOIDED).detail == "erreur de saisie"


def test_tm7_staff_change_a_plan_price_for_later_purchases_only(staff_client: Client, alice: User, pro: Plan) -> None:
    subscription = services.subscription_purchase(holder=alice, plan=pro, actor=alice)

    response = staff_client.post(
        f"/staff/billing/plan/{pro.pk}/change/",
        {
            "name": pro.name,
            "name_en": pro.name_en,
            "slug": pro.slug,
            "kind": pro.kind,
            "position": 0,
            "is_purchasable": "on",
            "duration_months": 3,
            "price": "59.00",
            "currency": "EUR",
            "access_level": pro.access_level,
            "description": "",
            "description_en": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    subscription.refresh_from_db()
    assert subscription.price == Decimal("49.00")
    assert Invoice.objects.get().amount_total == Decimal("49.00")
    assert Plan.objects.get(pk=pro.pk).price == Decimal("59.00")


def test_pv8_staff_cannot_delete_billing_records(staff_client: Client, alice: User, pro: Plan) -> None:
    subscription = services.subscription_purchase(holder=alice, plan=pro, actor=alice)

    assert staff_client.get(f"/staff/billing/subscription/{subscription.pk}/delete/").status_code == 403
    assert staff_client.get(f"/staff/billing/invoice/{Invoice.objects.get().pk}/delete/").status_code == 403
    assert staff_client.get(f"/staff/billing/plan/{pro.pk}/delete/").status_code == 403
