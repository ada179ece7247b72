from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.backoffice.models import MonthlyFigure
from cloudmentor.backoffice.selectors import staff_home_get
from cloudmentor.billing.models import AccessLevel, Invoice, Payment, Subscription
from cloudmentor.billing.tests.factories import InvoiceFactory, PlanFactory, SubscriptionFactory
from cloudmentor.learning.models import ErrorReport, ReportStatus
from cloudmentor.learning.tests.factories import LessonFactory
from cloudmentor.operations.models import ContactMessage

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 17, 11, 0, tzinfo=UTC)  # a Wednesday


def _open_invoice(*, due_at: datetime, amount: str, number: str, **extra: Any) -> Invoice:
    subscription = SubscriptionFactory(price=Decimal(amount), starts_at=NOW - timedelta(days=40))
    return InvoiceFactory(
        subscription=subscription,
        status=Invoice.Status.OPEN,
        number=number,
        year=2027,
        sequence=int(number[-3:]),
        issued_at=due_at - timedelta(days=14),
        due_at=due_at,
        **extra,
    )


def _populate(scale: int) -> None:
    """Arrange `scale` copies of every kind of row the staff home counts."""
    pro = PlanFactory(name="Pro 12 mois", access_level=AccessLevel.PRO, duration_months=12, price=Decimal("120.00"))
    essential = PlanFactory(
        name="Essentiel 3 mois", access_level=AccessLevel.ESSENTIAL, duration_months=3, price=Decimal("30.00")
    )
    for index in range(scale):
        SubscriptionFactory(plan=pro, starts_at=NOW - timedelta(days=3 + index))
        SubscriptionFactory(plan=essential, starts_at=NOW - timedelta(days=20))
        SubscriptionFactory(plan=essential, starts_at=NOW - timedelta(days=200))  # ended
        ContactMessage.objects.create(name="A", email="a@example.org", subject="Question", message="?", language="fr")
        ErrorReport.objects.create(lesson=LessonFactory(), reporter=UserFactory(), message="Coquille")


@time_machine.travel(NOW, tick=False)
def test_bz5_active_members_are_counted_by_plan_and_access_level() -> None:
    """Each running period counts its holder once, under its plan and under its level; ended ones do not."""
    pro = PlanFactory(name="Pro 12 mois", access_level=AccessLevel.PRO, duration_months=12)
    essential = PlanFactory(name="Essentiel 3 mois", access_level=AccessLevel.ESSENTIAL, duration_months=3)
    for _index in range(2):
        SubscriptionFactory(plan=pro, starts_at=NOW - timedelta(days=3))
        SubscriptionFactory(plan=essential, starts_at=NOW - timedelta(days=20))
    SubscriptionFactory(plan=essential, starts_at=NOW - timedelta(days=200))  # ended
    UserFactory(is_active=False)
    SubscriptionFactory(
        plan=None, access_level=AccessLevel.EXPERT, price=Decimal("0"), currency="EUR",
        source=Subscription.Source.GRANT, starts_at=NOW - timedelta(days=1), ends_at=NOW + timedelta(days=30),
    )  # fmt: skip
    StaffFactory()

    home = staff_home_get()
    assert home.accounts and home.subscriptions and home.revenue and home.invoices

    by_plan = {row.label: row.count for row in home.subscriptions.by_plan}
    assert by_plan["Pro 12 mois"] == 2
    assert by_plan["Essentiel 3 mois"] == 2
    by_level = {row.level: row.count for row in home.subscriptions.by_level}
    assert by_level == {AccessLevel.PRO: 2, AccessLevel.ESSENTIAL: 2, AccessLevel.EXPERT: 1}
    assert home.subscriptions.subscribers == 5
    # Every enabled account but staff: 5 holders of a running period, 1 of an ended one.
    assert home.accounts.active == 6


@time_machine.travel(NOW, tick=False)
def test_bz5_new_and_ended_subscriptions_per_week_over_twelve_weeks() -> None:
    """Purchases are counted in the week they were made, periods in the week they ended."""
    plan = PlanFactory(duration_months=1)
    SubscriptionFactory(plan=plan, created_at=NOW - timedelta(days=1))  # this week
    SubscriptionFactory(plan=plan, created_at=NOW - timedelta(days=8))  # last week
    SubscriptionFactory(plan=plan, created_at=NOW - timedelta(days=200))  # too old
    SubscriptionFactory(
        plan=plan,
        created_at=NOW - timedelta(days=40),
        starts_at=NOW - timedelta(days=40),
        ends_at=NOW - timedelta(days=9),
    )
    SubscriptionFactory(
        plan=None, access_level=AccessLevel.PRO, price=Decimal("0"), currency="EUR",
        source=Subscription.Source.GRANT, created_at=NOW - timedelta(days=1), starts_at=NOW, ends_at=NOW + timedelta(days=3),
    )  # fmt: skip

    home = staff_home_get()
    assert home.accounts and home.subscriptions and home.revenue and home.invoices

    assert len(home.subscriptions.weeks) == 12
    assert home.subscriptions.weeks[-1] == datetime(2027, 3, 15).date()  # the Monday of this week
    assert home.subscriptions.new_per_week[-1] == 1  # the grant is not a sale
    assert home.subscriptions.new_per_week[-2] == 1
    assert sum(home.subscriptions.new_per_week) == 3  # the one bought 40 days ago too
    assert home.subscriptions.ended_per_week[-2] == 1
    assert sum(home.subscriptions.ended_per_week) == 1


@time_machine.travel(NOW, tick=False)
def test_bz5_recurring_revenue_and_revenue_per_month() -> None:
    """MRR is each running period's price over its months; revenue is the money received each month."""
    yearly = PlanFactory(duration_months=12, price=Decimal("120.00"))
    quarterly = PlanFactory(duration_months=3, price=Decimal("30.00"))
    SubscriptionFactory(plan=yearly, starts_at=NOW - timedelta(days=45))  # 10.00 a month, since January
    SubscriptionFactory(plan=quarterly, starts_at=NOW - timedelta(days=5))  # 10.00 a month, since March
    paid = _open_invoice(due_at=NOW + timedelta(days=3), amount="120.00", number="CM-2027-001")
    Payment.objects.create(
        invoice=paid, provider=Payment.Provider.MANUAL, amount=Decimal("120.00"), currency="EUR",
        status=Payment.Status.SUCCEEDED, received_at=NOW - timedelta(days=30),
    )  # fmt: skip
    Payment.objects.create(
        invoice=paid, provider=Payment.Provider.MANUAL, amount=Decimal("5.00"), currency="EUR",
        status=Payment.Status.REJECTED, received_at=NOW - timedelta(days=1),
    )  # fmt: skip

    home = staff_home_get()
    assert home.accounts and home.subscriptions and home.revenue and home.invoices

    assert len(home.revenue.months) == 12
    assert home.revenue.months[-1] == datetime(2027, 3, 1).date()
    # 120/12 + 30/3, and the open invoice's own period: 120 over its plan's 3 months.
    assert home.subscriptions.mrr == Decimal("60.00")
    assert home.revenue.per_month[-2] == Decimal("120.00")  # February
    assert home.revenue.per_month[-1] == Decimal("0.00")  # the refused payment is no revenue
    assert home.subscriptions.mrr_per_month[-3] == Decimal("0.00")  # January 1st: nothing running yet


@time_machine.travel(NOW, tick=False)
def test_bz5_invoices_due_and_overdue_with_amounts_and_accounts_disabled_for_non_payment() -> None:
    """Open invoices are split at their deadline; an account disabled by an unpaid invoice is counted once."""
    _open_invoice(due_at=NOW + timedelta(days=3), amount="49.00", number="CM-2027-001")
    _open_invoice(due_at=NOW + timedelta(days=9), amount="51.00", number="CM-2027-002")
    late = _open_invoice(due_at=NOW - timedelta(days=2), amount="99.90", number="CM-2027-003", overdue_processed_at=NOW)
    late.customer.user.is_active = False
    late.customer.user.save()
    InvoiceFactory(status=Invoice.Status.DRAFT)

    home = staff_home_get()
    assert home.accounts and home.subscriptions and home.revenue and home.invoices

    assert (home.invoices.due_count, home.invoices.due_amount) == (2, Decimal("100.00"))
    assert (home.invoices.overdue_count, home.invoices.overdue_amount) == (1, Decimal("99.90"))
    assert home.invoices.disabled_for_non_payment == 1


@time_machine.travel(NOW, tick=False)
def test_bz5_work_waiting_error_reports_contact_messages_and_data_requests() -> None:
    """Open error reports, unanswered contact messages, and those among them about personal data."""
    lesson = LessonFactory()
    reporter = UserFactory()
    ErrorReport.objects.create(lesson=lesson, reporter=reporter, message="Coquille")
    ErrorReport.objects.create(lesson=lesson, reporter=reporter, message="Lien mort", status=ReportStatus.CORRECTED)
    for subject, handled in [
        ("Question sur une facture", False),
        ("Effacement de mes données", False),
        ("RGPD : accès à mes données", False),
        ("Please delete my personal data", False),
        ("Données personnelles", True),
    ]:
        ContactMessage.objects.create(
            name="A", email="a@example.org", subject=subject, message="…", language="fr", is_handled=handled
        )

    home = staff_home_get()
    assert home.accounts and home.subscriptions and home.revenue and home.invoices

    assert home.waiting.error_reports == 1
    assert home.waiting.contact_messages == 4
    assert home.waiting.data_requests == 3


@time_machine.travel(NOW, tick=False)
def test_bz5_the_figures_cost_the_same_queries_whatever_the_data_size() -> None:
    """No per-row loop: ten times the rows, the same (small) number of queries."""
    _populate(1)
    staff_home_get()  # the months' history, computed once
    with CaptureQueriesContext(connection) as small:
        staff_home_get()
    _populate(10)
    with CaptureQueriesContext(connection) as large:
        home = staff_home_get()

    assert len(large) == len(small) <= 11
    assert home.subscriptions
    assert home.subscriptions.subscribers == 22


def test_bz5_the_months_history_is_computed_once_and_completed_when_a_month_ends() -> None:
    """A month's recurring revenue on its first day is kept; its revenue is kept once the month is over."""
    plan = PlanFactory(duration_months=12, price=Decimal("120.00"))
    with time_machine.travel(datetime(2027, 2, 20, 10, tzinfo=UTC), tick=False):
        subscription = SubscriptionFactory(plan=plan, starts_at=timezone.now())
        invoice = _open_invoice(due_at=timezone.now() + timedelta(days=14), amount="120.00", number="CM-2027-001")
        Payment.objects.create(
            invoice=invoice, provider=Payment.Provider.MANUAL, amount=Decimal("120.00"), currency="EUR",
            status=Payment.Status.SUCCEEDED,
        )  # fmt: skip
        february = staff_home_get()
    assert february.revenue and february.revenue.per_month[-1] == Decimal("120.00")
    assert MonthlyFigure.objects.get(month=date(2027, 2, 1)).revenue is None  # not over yet

    with time_machine.travel(datetime(2027, 3, 2, 10, tzinfo=UTC), tick=False):
        march = staff_home_get()
        with CaptureQueriesContext(connection) as again:
            staff_home_get()

    assert march.revenue and march.revenue.per_month[-2] == Decimal("120.00")
    assert march.subscriptions and march.subscriptions.mrr_per_month[-1] == Decimal("50.00")  # 120/12 + 120/3
    assert MonthlyFigure.objects.get(month=date(2027, 2, 1)).revenue == Decimal("120.00")
    assert MonthlyFigure.objects.count() == 13  # March 2026 to March 2027
    assert not any("INSERT" in query["sql"] or "UPDATE" in query["sql"] for query in again.captured_queries)
    assert subscription.pk


def test_bz5_a_section_not_asked_for_costs_no_query() -> None:
    """The view asks only for what the reader may open; the rest is neither computed nor shown."""
    with CaptureQueriesContext(connection) as queries:
        home = staff_home_get(sections=frozenset({"error_reports"}))

    assert len(queries) == 1
    assert home.accounts is None and home.subscriptions is None and home.revenue is None and home.invoices is None
    assert home.waiting.contact_messages is None
