"""Reminders before expiry, recovery after a late payment, no disabling around maintenance, the dunning timeline (BZ-4, TM-6, PV-3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp.oath import totp

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import AccountEvent, StaffAccess, User
from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.billing import selectors, services
from cloudmentor.billing.models import ExpiryReminder, Invoice, Plan, Subscription
from cloudmentor.operations.models import MaintenanceWindow
from conftest import race

from .conftest import log_in
from .factories import PlanFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
END = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)  # a 3-month plan bought at T0 ends here (same Paris time, summer)
DAY, HOUR, SECOND = timedelta(days=1), timedelta(hours=1), timedelta(seconds=1)


@pytest.fixture
def member() -> User:
    return UserFactory(username="alice", email="alice@example.org")


@pytest.fixture
def plan() -> Plan:
    return PlanFactory(slug="pro-3", name="Pro 3 mois", price=Decimal("49.00"), duration_months=3)


def _buy(member: User, plan: Plan, at: datetime = T0) -> Subscription:
    with time_machine.travel(at, tick=False):
        return services.subscription_purchase(holder=member, plan=plan, actor=member)


def _remind(at: datetime, capture: Any) -> int:
    with time_machine.travel(at, tick=False), capture(execute=True):
        return services.expiry_reminders_send()


def _run(at: datetime, capture: Any) -> services.BillingRunReport:
    with time_machine.travel(at, tick=False), capture(execute=True):
        return services.billing_run()


def _overdue_and_disabled(member: User, plan: Plan, capture: Any) -> Invoice:
    """A member whose invoice went unpaid past its deadline: the run disabled the account (TM-6)."""
    _buy(member, plan)
    _run(T0 + 3 * DAY, capture)
    invoice = Invoice.objects.get(customer__user=member)
    assert invoice.due_at is not None
    _run(invoice.due_at + SECOND, capture)
    member.refresh_from_db()
    assert not member.is_active
    mail.outbox.clear()
    return invoice


# Reminders before the validity end (J-14, J-3) -----------------------------------------------


def test_bz4_reminders_go_14_and_3_days_before_the_validity_end_offering_the_extension(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """Not a second early; each reminder names the end date and links to the plans page."""
    _buy(member, plan)

    assert _remind(END - 14 * DAY - SECOND, django_capture_on_commit_callbacks) == 0
    assert _remind(END - 14 * DAY, django_capture_on_commit_callbacks) == 1
    assert _remind(END - 3 * DAY - SECOND, django_capture_on_commit_callbacks) == 0
    assert _remind(END - 3 * DAY, django_capture_on_commit_callbacks) == 1

    assert [email.subject for email in mail.outbox] == [
        "Votre accès CloudMentor@Scale se termine le 1 juin 2027",
        "Votre accès CloudMentor@Scale se termine le 1 juin 2027",
    ]
    first, last = (email.body for email in mail.outbox)
    assert "dans 14 jours" in first and "dans 3 jours" in last
    assert f"{django_settings.SITE_URL}/plans/" in first
    assert "la nouvelle période commence à la fin de l'actuelle" in first
    assert mail.outbox[0].to == ["alice@example.org"]
    assert list(ExpiryReminder.objects.values_list("days_before", flat=True).order_by("-days_before")) == [14, 3]


def test_bz4_each_reminder_is_sent_once_per_period_however_often_the_job_runs(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    _buy(member, plan)

    counts = [_remind(END - 14 * DAY + hours * HOUR, django_capture_on_commit_callbacks) for hours in range(5)]
    call_command("billing_reminders", stdout=None)

    assert counts == [1, 0, 0, 0, 0]
    assert len(mail.outbox) == 1


def test_bz4_a_missed_j14_is_not_sent_late_when_j3_is_due(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """After a scheduler outage only the nearest reminder goes: never two at once, never an old one."""
    _buy(member, plan)

    sent = _remind(END - 2 * DAY, django_capture_on_commit_callbacks)

    assert sent == 1
    assert list(ExpiryReminder.objects.values_list("days_before", flat=True)) == [3]
    assert "dans 2 jours" in mail.outbox[0].body


def test_bz4_an_extension_moves_the_end_and_the_next_reminders_follow_it(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """Reminders are per period end: extended before J-3, the member hears nothing until the new end nears."""
    _buy(member, plan)
    _remind(END - 14 * DAY, django_capture_on_commit_callbacks)
    with time_machine.travel(END - 10 * DAY, tick=False):
        extension = services.subscription_extend(holder=member, plan=plan, actor=member)
    mail.outbox.clear()

    assert _remind(END - 3 * DAY, django_capture_on_commit_callbacks) == 0
    assert _remind(extension.ends_at - 14 * DAY, django_capture_on_commit_callbacks) == 1
    assert "1 septembre 2027" in mail.outbox[0].subject


def test_bz4_reminder_days_are_a_setting_read_at_call_time(
    member: User, plan: Plan, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.BILLING_REMINDER_DAYS = [7]
    _buy(member, plan)

    assert _remind(END - 14 * DAY, django_capture_on_commit_callbacks) == 0
    assert _remind(END - 7 * DAY, django_capture_on_commit_callbacks) == 1


def test_bz4_reminders_follow_the_member_language_and_a_group_goes_to_its_owner(
    plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    member = UserFactory(username="bob", email="bob@example.org", language="en")
    _buy(member, plan)

    owner = UserFactory(username="carol", email="carol@example.org")
    team = PlanFactory(kind=Plan.Kind.GROUP, seats=5, price=Decimal("300.00"), duration_months=3)
    with time_machine.travel(T0, tick=False):
        services.group_subscription_buy(owner=owner, plan=team, group_name="Équipe data")

    _remind(END - 3 * DAY, django_capture_on_commit_callbacks)

    english, group = sorted(mail.outbox, key=lambda email: email.to[0])
    assert english.subject == "Your CloudMentor@Scale access ends on June 1, 2027"
    assert f"{django_settings.SITE_URL}/en/plans/" in english.body
    assert group.to == ["carol@example.org"]
    assert "L'accès de votre groupe se termine le" in group.body


def test_bz4_no_reminder_to_a_disabled_account_nor_after_the_end(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """A disabled member is only ever told to contact support (TM-6); an ended period needs no reminder."""
    _buy(member, plan)
    other = UserFactory()
    _buy(other, plan)
    accounts_services.user_disable(user=member, actor=None, reason="test")

    assert _remind(END - 3 * DAY, django_capture_on_commit_callbacks) == 1  # the other member only
    assert _remind(END + SECOND, django_capture_on_commit_callbacks) == 0
    assert [email.to for email in mail.outbox] == [[other.email]]


def test_bz4_reminders_cost_a_fixed_number_of_queries_plus_a_few_per_email(
    plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    for _n in range(6):
        _buy(UserFactory(), plan)
    with time_machine.travel(END - 3 * DAY, tick=False), CaptureQueriesContext(connection) as queries:
        sent = services.expiry_reminders_send()
    with time_machine.travel(END - 3 * DAY + HOUR, tick=False), CaptureQueriesContext(connection) as idle:
        again = services.expiry_reminders_send()

    assert (sent, again) == (6, 0)
    # Candidates, reminders already sent, their customers; then per email: savepoint, reminder, outbox, release.
    assert len(queries) <= 3 + 6 * 4, [query["sql"] for query in queries]
    assert len(idle) <= 3, [query["sql"] for query in idle]


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_bz4_two_reminder_jobs_at_once_send_each_reminder_once() -> None:
    plan = PlanFactory(price=Decimal("49.00"), duration_months=3)
    start = datetime.now(tz=UTC) - 80 * DAY
    for _n in range(20):
        user = UserFactory()
        services.subscription_purchase(holder=user, plan=plan, actor=user)
    Subscription.objects.update(starts_at=start, ends_at=datetime.now(tz=UTC) + 2 * DAY)

    results = race(4, lambda _n: services.expiry_reminders_send())

    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == 20
    assert ExpiryReminder.objects.count() == 20
    assert len(mail.outbox) == 20


# A payment recorded after the deadline re-enables the account at once ---------------------------


def test_bz4_a_bank_transfer_recorded_after_the_deadline_re_enables_at_once_with_an_email(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """No separate staff step: the payment settles the only overdue invoice, so the account opens again."""
    invoice = _overdue_and_disabled(member, plan, django_capture_on_commit_callbacks)
    staff = StaffFactory()

    with time_machine.travel(invoice.due_at + DAY, tick=False), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]  # issued
        services.invoice_record_payment(
            invoice=invoice, amount=Decimal("49.00"), currency="EUR", reference="VIR-9", actor=staff
        )

    member.refresh_from_db()
    assert member.is_active
    event = AccountEvent.objects.filter(user=member, kind=AccountEvent.Kind.ENABLED).get()
    assert event.reason == "Paiement de la facture CM-2027-000001 reçu après l'échéance"
    assert event.actor == staff
    assert [email.subject for email in mail.outbox] == ["Paiement reçu : votre compte CloudMentor@Scale est réactivé"]
    assert f"{django_settings.SITE_URL}/accounts/login/" in mail.outbox[0].body


def test_bz4_a_card_payment_arriving_after_the_deadline_re_enables_too(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """The same rule for every provider: the webhook of a checkout started before the deadline."""
    from cloudmentor.billing.services.payments import _payment_record

    invoice = _overdue_and_disabled(member, plan, django_capture_on_commit_callbacks)

    with time_machine.travel(invoice.due_at + DAY, tick=False), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]  # issued
        _payment_record(
            invoice_id=invoice.pk,
            provider="stripe",
            reference="cs_late",
            amount=Decimal("49.00"),
            currency="EUR",
            actor=None,
        )

    member.refresh_from_db()
    assert member.is_active
    assert AccountEvent.objects.get(user=member, kind=AccountEvent.Kind.ENABLED).actor is None


def test_bz4_a_late_payment_leaves_disabled_an_account_with_another_overdue_invoice(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = _overdue_and_disabled(member, plan, django_capture_on_commit_callbacks)
    with time_machine.travel(invoice.due_at + DAY, tick=False):  # type: ignore[operator]  # due_at set once issued
        accounts_services.user_enable(user=member, actor=StaffFactory(), reason="promesse")
        second = services.subscription_extend(holder=member, plan=plan, actor=member)
        services.subscription_invoice_issue_now(subscription=second)
    second_invoice = Invoice.objects.get(subscription=second)
    _run(second_invoice.due_at + SECOND, django_capture_on_commit_callbacks)  # type: ignore[operator]  # issued
    member.refresh_from_db()
    assert not member.is_active
    mail.outbox.clear()

    with (
        time_machine.travel(second_invoice.due_at + DAY, tick=False),  # type: ignore[operator]  # issued
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.invoice_record_payment(
            invoice=invoice, amount=Decimal("49.00"), currency="EUR", reference="V1", actor=None
        )

    member.refresh_from_db()
    assert not member.is_active
    assert [email.subject for email in mail.outbox] == ["Paiement reçu pour la facture CM-2027-000001"]


def test_bz4_a_late_payment_does_not_undo_a_staff_disable_for_another_reason(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """Staff who disabled the account themselves (sharing, TM-9) decide when it comes back."""
    invoice = _overdue_and_disabled(member, plan, django_capture_on_commit_callbacks)
    staff = StaffFactory()
    assert invoice.due_at is not None
    with time_machine.travel(invoice.due_at + HOUR, tick=False):
        accounts_services.user_enable(user=member, actor=staff, reason="erreur")
    with time_machine.travel(invoice.due_at + 2 * HOUR, tick=False):
        accounts_services.user_disable(user=member, actor=staff, reason="compte partagé")

    with time_machine.travel(invoice.due_at + DAY, tick=False):
        services.invoice_record_payment(
            invoice=invoice, amount=Decimal("49.00"), currency="EUR", reference="V", actor=None
        )

    member.refresh_from_db()
    assert not member.is_active


def test_bz4_a_payment_before_the_deadline_changes_nothing_about_the_account(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    _buy(member, plan)
    _run(T0 + 3 * DAY, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_record_payment(
            invoice=Invoice.objects.get(), amount=Decimal("49.00"), currency="EUR", reference="V", actor=None
        )

    assert not AccountEvent.objects.filter(kind=AccountEvent.Kind.ENABLED).exists()
    assert [email.subject for email in mail.outbox] == ["Paiement reçu pour la facture CM-2027-000001"]


# No disabling during a maintenance window, nor in the hours after it -----------------------------


def _window(starts_at: datetime, ends_at: datetime, **kwargs: Any) -> MaintenanceWindow:
    return MaintenanceWindow.objects.create(starts_at=starts_at, ends_at=ends_at, **kwargs)


def _issued(member: User, plan: Plan, capture: Any) -> Invoice:
    _buy(member, plan)
    _run(T0 + 3 * DAY, capture)
    return Invoice.objects.get(customer__user=member)


def test_bz4_the_billing_run_disables_no_one_during_a_maintenance_window(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = _issued(member, plan, django_capture_on_commit_callbacks)
    due = invoice.due_at
    assert due is not None
    _window(due - HOUR, due + 2 * HOUR)

    report = _run(due + HOUR, django_capture_on_commit_callbacks)

    member.refresh_from_db()
    invoice.refresh_from_db()
    assert (report.disabled, member.is_active, invoice.overdue_processed_at) == (0, True, None)
    assert report.disabling_held_until == due + 2 * HOUR + 24 * HOUR


def test_bz4_nor_in_the_grace_hours_after_it_then_it_does(
    member: User, plan: Plan, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Members could not log in to pay during the window: they get BILLING_MAINTENANCE_GRACE_HOURS more."""
    settings.BILLING_MAINTENANCE_GRACE_HOURS = 12
    invoice = _issued(member, plan, django_capture_on_commit_callbacks)
    due = invoice.due_at
    assert due is not None
    window = _window(due - 3 * HOUR, due - HOUR)

    held = _run(window.ends_at + 12 * HOUR - SECOND, django_capture_on_commit_callbacks)
    member.refresh_from_db()
    assert (held.disabled, member.is_active) == (0, True)

    after = _run(window.ends_at + 12 * HOUR, django_capture_on_commit_callbacks)
    member.refresh_from_db()
    assert (after.disabled, member.is_active, after.disabling_held_until) == (1, False, None)


def test_bz4_a_cancelled_window_holds_nothing_and_the_rest_of_the_run_goes_on(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """During a hold, invoices are still issued and ended periods recorded: only disabling waits."""
    invoice = _issued(member, plan, django_capture_on_commit_callbacks)
    due = invoice.due_at
    assert due is not None
    _window(due - HOUR, due + HOUR, cancelled_at=T0)
    other = UserFactory()
    _buy(other, plan, at=due - 3 * DAY)

    report = _run(due + SECOND, django_capture_on_commit_callbacks)
    assert (report.disabled, report.issued) == (1, 1)

    _window(due + DAY, due + DAY + HOUR)
    third = UserFactory()
    _buy(third, plan, at=due - 2 * DAY)
    held = _run(due + DAY + 30 * 60 * SECOND, django_capture_on_commit_callbacks)
    assert (held.disabled, held.issued) == (0, 1)


# The dunning timeline, for staff -----------------------------------------------------------------


def test_bz4_the_dunning_timeline_tells_the_whole_story_in_order(
    member: User, plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """Invoice issued, reminders, deadline, disabled, payment, re-enabled: oldest first, a fixed number of queries."""
    invoice = _overdue_and_disabled(member, plan, django_capture_on_commit_callbacks)
    with time_machine.travel(invoice.due_at + DAY, tick=False), django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]  # issued
        services.invoice_record_payment(
            invoice=invoice, amount=Decimal("49.00"), currency="EUR", reference="V", actor=None
        )
    _remind(END - 14 * DAY, django_capture_on_commit_callbacks)
    customer = invoice.customer

    with CaptureQueriesContext(connection) as queries:
        rows = selectors.dunning_timeline(customer=customer)

    assert [row.label for row in rows] == [
        "Abonnement souscrit",
        "Facture émise",
        "Échéance de la facture",
        "Compte désactivé",
        "Facture payée",
        "Compte réactivé",
        "Relance avant la fin de validité (J-14)",
    ]
    assert rows[2].detail == "CM-2027-000001 — payée après l'échéance"
    assert len(queries) <= 5


@pytest.fixture
def staff_client(client: Client) -> Client:
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = accounts_services.staff_totp_device_create(user=staff)
    log_in(client, "root")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"})
    return client


def test_bz4_staff_read_the_dunning_timeline_of_an_account_in_the_staff_site(
    member: User, plan: Plan, staff_client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    invoice = _overdue_and_disabled(member, plan, django_capture_on_commit_callbacks)
    url = f"/staff/billing/customer/{invoice.customer_id}/dunning/"

    page = staff_client.get(url)
    english = staff_client.get(f"/en{url}")
    customers = staff_client.get("/staff/billing/customer/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Relances et échéances de alice" in html
    assert "Échéance de la facture" in html and "Compte désactivé" in html
    assert "<form" not in html.split('id="content"')[1]  # read-only
    assert "Dunning timeline of alice" in english.content.decode()
    assert url in customers.content.decode()
    # Opening a member's billing data is recorded, as for their history (TR-2).
    assert StaffAccess.objects.filter(member=member, kind=StaffAccess.Kind.BILLING, reference="dunning").exists()


@pytest.mark.parametrize(("role", "status"), [("Facturation", 200), ("Support", 403), ("Créateur de contenu", 403)])
def test_bz4_the_dunning_timeline_needs_a_role_that_sees_billing(
    member: User, plan: Plan, role: str, status: int, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """Least privilege (TR-1): the billing role reads it; support (no invoices) and content creators do not."""
    from django.contrib.auth.models import Group

    invoice = _overdue_and_disabled(member, plan, django_capture_on_commit_callbacks)
    staff = StaffFactory(username="sam", email="sam@cloudmentor.example", is_superuser=False)
    staff.groups.add(Group.objects.get(name=role))
    device = accounts_services.staff_totp_device_create(user=staff)
    log_in(client, "sam")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"})

    response = client.get(f"/staff/billing/customer/{invoice.customer_id}/dunning/")

    assert response.status_code == status
