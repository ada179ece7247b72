"""The people and the member's data of the staff-role tests (TR-1, TR-2): a member, alice, with an
invoice, a request log, a contact message and error reports; a client for each kind of staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import Client
from django_otp.oath import totp

from cloudmentor.accounts import roles
from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.conftest import csrf_post, log_in
from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.analytics.tests.factories import RequestRecordFactory
from cloudmentor.billing import services as billing_services
from cloudmentor.billing.models import Invoice
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.learning.models import ErrorReport
from cloudmentor.learning.tests.factories import AuthorFactory, CourseFactory, LessonFactory, ModuleFactory
from cloudmentor.operations.models import ContactMessage

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
ALICE_EMAIL = "alice@example.org"
ALICE_PATH = "/courses/alice-was-here/"


@dataclass(frozen=True)
class World:
    alice: User
    invoice: Invoice
    customer_id: int
    subscription_id: int
    contact_id: int


def _verified(user: User) -> Client:
    device = accounts_services.staff_totp_device_create(user=user)
    client = Client(enforce_csrf_checks=True)
    assert log_in(client, user.username).status_code == 302
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    assert csrf_post(client, "/accounts/staff/verify/", {"token": code, "next": "/staff/"}).status_code == 302
    return client


def _staff(username: str, role: str | None, *, superuser: bool = False) -> User:
    user = StaffFactory(username=username, email=f"{username}@cloudmentor.example", is_superuser=superuser)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


def client_of(person: str) -> Client:
    """Log in `person` as they would: staff with their password and TOTP code, unless said otherwise."""
    if person == "administrator":
        return _verified(_staff("ada", roles.ADMINISTRATOR))
    if person == "superuser":
        return _verified(_staff("root", None, superuser=True))
    if person == "support":
        return _verified(_staff("sue", roles.SUPPORT))
    if person == "billing":
        return _verified(_staff("bob", roles.BILLING))
    if person == "creator":
        return _verified(User.objects.get(username="claire"))
    client = Client(enforce_csrf_checks=True)
    if person == "password only":
        staff = _staff("pat", None, superuser=True)
        accounts_services.staff_totp_device_create(user=staff)  # enrolled, but no code given
        assert log_in(client, "pat").status_code == 302
    elif person == "member":
        UserFactory(username="mallory", email="mallory@example.org")
        assert log_in(client, "mallory").status_code == 302
    return client


@pytest.fixture
def world(django_capture_on_commit_callbacks: Any) -> World:
    alice = UserFactory(username="alice", email=ALICE_EMAIL)
    plan = PlanFactory(slug="pro-3", price=Decimal("49.00"), duration_months=3)
    with time_machine.travel(T0, tick=False):
        billing_services.subscription_purchase(holder=alice, plan=plan, actor=alice)
    with time_machine.travel(T0 + timedelta(days=3), tick=False), django_capture_on_commit_callbacks(execute=True):
        billing_services.billing_run()
    invoice = Invoice.objects.select_related("subscription").get(customer__user=alice)
    RequestRecordFactory(user=alice, path=ALICE_PATH, ip_address="198.51.100.23")
    contact = ContactMessage.objects.create(
        name="Alice", email=ALICE_EMAIL, subject="Ma facture", message="Bonjour", language="fr"
    )
    # A creator's course, and a course of someone else; alice reported an error in each.
    claire = _staff("claire", roles.CREATOR)
    own = CourseFactory(slug="claire-course", title="Le cours de Claire")
    own.authors.add(AuthorFactory(name="Claire", user=claire))
    other = CourseFactory(slug="other-course", title="Le cours d'un autre")
    for course in (own, other):
        lesson = LessonFactory(module=ModuleFactory(course=course), title=f"Leçon de {course.slug}")
        ErrorReport.objects.create(lesson=lesson, reporter=alice, message=f"Coquille dans {course.slug}")
    return World(
        alice=alice,
        invoice=invoice,
        customer_id=invoice.customer_id,
        subscription_id=invoice.subscription_id or 0,
        contact_id=contact.pk,
    )
