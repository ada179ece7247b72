"""Staff see donations at /staff/: filters, monthly totals, read-only but for "mark abandoned" (TM-10)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.tests.factories import StaffFactory
from cloudmentor.billing.tests.conftest import log_in
from cloudmentor.donations import services
from cloudmentor.donations.models import Donation

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = accounts_services.staff_totp_device_create(user=staff)
    log_in(client, "root")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"})
    return client


def _paid(amount: str, moment: datetime) -> Donation:
    with time_machine.travel(moment, tick=False):
        donation = services.donation_create(amount=Decimal(amount), name="", email="", user=None, language="fr")
        services.donation_record_payment(
            donation_id=donation.pk, session_id=f"cs_{donation.pk}", amount=Decimal(amount), currency="EUR"
        )
    return donation


def test_tm10_staff_list_donations_with_filters_and_totals_per_month(staff_client: Client) -> None:
    _paid("10.00", datetime(2027, 3, 2, 10, tzinfo=UTC))
    _paid("25.00", datetime(2027, 3, 20, 10, tzinfo=UTC))
    _paid("5.00", datetime(2027, 4, 1, 10, tzinfo=UTC))
    services.donation_create(amount=Decimal("50"), name="", email="", user=None, language="fr")

    page = staff_client.get("/staff/donations/donation/")
    march = staff_client.get("/staff/donations/donation/?status__exact=paid&created_at__month=3&created_at__year=2027")

    assert page.status_code == 200
    text = page.content.decode()
    assert "DON-2027-000001" in text and "DON-2027-000003" in text
    assert _totals(page) == [["avril 2027", "1", "5,00 EUR"], ["mars 2027", "2", "35,00 EUR"]]
    assert _totals(march) == [["mars 2027", "2", "35,00 EUR"]]


def _totals(response: Any) -> list[list[str]]:
    table = response.content.decode().split('id="donation-monthly-totals"')[1].split("</table>")[0]
    return [re.findall(r"<td>([^<]*)</td>", row) for row in re.findall(r"<tr><td>.*?</tr>", table)]


def test_tm10_staff_mark_a_pending_donation_abandoned_and_nothing_else(staff_client: Client) -> None:
    paid = _paid("10.00", datetime(2027, 3, 2, 10, tzinfo=UTC))
    pending = services.donation_create(amount=Decimal("50"), name="", email="", user=None, language="fr")

    response = staff_client.post(
        "/staff/donations/donation/",
        {"action": "mark_abandoned", "_selected_action": [paid.pk, pending.pk]},
        follow=True,
    )
    change = staff_client.post(f"/staff/donations/donation/{paid.pk}/change/", {"amount": "1"})
    add = staff_client.get("/staff/donations/donation/add/")

    assert response.status_code == 200
    assert Donation.objects.get(pk=pending.pk).status == Donation.Status.ABANDONED
    assert Donation.objects.get(pk=paid.pk).status == Donation.Status.PAID
    assert Donation.objects.get(pk=paid.pk).amount == Decimal("10.00")
    assert change.status_code in (200, 302, 403) and add.status_code == 403
    assert staff_client.get(f"/staff/donations/donation/{paid.pk}/delete/").status_code == 403
