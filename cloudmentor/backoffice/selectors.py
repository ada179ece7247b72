"""The figures of the staff home (BZ-5), read from the other apps' models.

Each figure is one aggregate or grouped query whatever the number of rows, in the site's
time zone, on SQLite and PostgreSQL alike; no row is loaded into Python. What never changes
once known is kept and read in one query each: the weeks that are over (`WeeklyFigure`), the
months' recurring revenue on their first day and the money received in those that are over
(`MonthlyFigure`). Eleven queries in all once those are kept; the page itself reads a copy of
these figures kept a minute (`snapshots`, decision 0134).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel, Invoice, Payment, Subscription
from cloudmentor.learning.models import ErrorReport, ReportStatus
from cloudmentor.operations.models import ContactMessage

from .models import MonthlyFigure
from .services import SOLD, monthly_figures_ensure, weekly_figures_ensure

WEEKS = 12
MONTHS = 12
CENT = Decimal("0.01")
# Words that mark a contact message as a request about personal data (PV-7, PV-9, PV-10):
# such requests arrive through the contact form or by email (docs/privacy.md), in French or English.
DATA_REQUEST_WORDS = (
    "données",
    "donnees",
    "rgpd",
    "effacement",
    "effacer",
    "confidentialité",
    "personal data",
    "gdpr",
    "erasure",
    "privacy",
)


@dataclass(frozen=True)
class PlanRow:
    plan_id: int | None  # None: access granted by the team, without a plan
    name: str
    name_en: str
    level: int
    count: int

    @property
    def label(self) -> str:
        if self.plan_id is None:
            return str(_("Accès offert par l'équipe"))
        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


@dataclass(frozen=True)
class LevelRow:
    level: int
    count: int

    @property
    def label(self) -> str:
        return str(AccessLevel(self.level).label)


@dataclass(frozen=True)
class Accounts:
    active: int
    disabled: int


@dataclass(frozen=True)
class Subscriptions:
    """Running periods, sales and ends per week, and the recurring revenue (MRR)."""

    subscribers: int
    by_plan: list[PlanRow]
    by_level: list[LevelRow]
    weeks: list[date]
    new_per_week: list[int]
    ended_per_week: list[int]
    months: list[date]
    mrr_per_month: list[Decimal]  # at the first of each month
    mrr: Decimal  # now


@dataclass(frozen=True)
class Revenue:
    months: list[date]
    per_month: list[Decimal]


@dataclass(frozen=True)
class Invoices:
    due_count: int
    due_amount: Decimal
    overdue_count: int
    overdue_amount: Decimal
    disabled_for_non_payment: int


@dataclass(frozen=True)
class Waiting:
    error_reports: int | None
    contact_messages: int | None
    data_requests: int | None


@dataclass(frozen=True)
class StaffHome:
    """What the staff home shows; a section is None when it was not asked for. Amounts in `currency`."""

    generated_at: datetime
    currency: str
    accounts: Accounts | None
    subscriptions: Subscriptions | None
    revenue: Revenue | None
    invoices: Invoices | None
    waiting: Waiting


ACCOUNTS = "accounts"
SUBSCRIPTIONS = "subscriptions"
REVENUE = "revenue"
INVOICES = "invoices"
ERROR_REPORTS = "error_reports"
CONTACT = "contact"
SECTIONS = frozenset({ACCOUNTS, SUBSCRIPTIONS, REVENUE, INVOICES, ERROR_REPORTS, CONTACT})


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _week_starts(today: date) -> list[date]:
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=WEEKS - 1 - index) for index in range(WEEKS)]


def _month_starts(today: date) -> list[date]:
    starts = []
    year, month = today.year, today.month
    for _index in range(MONTHS):
        starts.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return starts[::-1]


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _bounds(starts: list[date], end: datetime) -> list[tuple[datetime, datetime]]:
    moments = [_local_midnight(day) for day in starts]
    return list(zip(moments, [*moments[1:], end], strict=True))


def _by_level(groups: list[dict[str, Any]]) -> list[LevelRow]:
    """Add up the plans of each level (periods stack: a holder runs one period at a time)."""
    counts: dict[int, int] = {}
    for row in groups:
        counts[row["access_level"]] = counts.get(row["access_level"], 0) + row["count"]
    return [LevelRow(level=level, count=count) for level, count in sorted(counts.items(), reverse=True)]


def accounts_get() -> Accounts:
    """Count the members who may log in and those disabled (any reason); staff and erased accounts aside."""
    counts = User.objects.filter(is_staff=False, erased_at__isnull=True).aggregate(
        active=Count("pk", filter=Q(is_active=True)), disabled=Count("pk", filter=Q(is_active=False))
    )
    return Accounts(active=counts["active"], disabled=counts["disabled"])


def subscriptions_get(*, now: datetime, figures: dict[date, MonthlyFigure]) -> Subscriptions:
    """Return running periods by plan and level, sales and ends per week, and the MRR (four queries)."""
    today = timezone.localdate(now)
    weeks = _week_starts(today)
    months = _month_starts(today)
    week_bounds = _bounds(weeks, now)

    # Periods stack: a holder runs one period at a time, so counting periods counts holders
    # (a grant has no plan).
    running = Subscription.objects.filter(starts_at__lte=now, ends_at__gt=now)
    groups = list(
        running.values("plan_id", "plan__name", "plan__name_en", "access_level")
        .annotate(count=Count("pk"))
        .order_by("-access_level", "plan__name")
    )
    # The MRR spreads a period's price over its plan's months (a grant has no plan and no price).
    monthly_price = Cast("price", FloatField()) / F("plan__duration_months")
    current = running.aggregate(
        subscribers=Count("customer_id", distinct=True), mrr=Sum(monthly_price, filter=Q(plan__isnull=False))
    )
    # The weeks that are over are kept; this week is counted (two small ranges of indexed dates).
    past = weekly_figures_ensure(weeks=weeks[:-1])
    monday = week_bounds[-1][0]
    this_week = (
        Subscription.objects.filter(SOLD)
        .filter(Q(created_at__gte=monday) | Q(ends_at__gte=monday, ends_at__lt=now))
        .aggregate(
            sold=Count("pk", filter=Q(created_at__gte=monday)),
            ended=Count("pk", filter=Q(ends_at__gte=monday, ends_at__lt=now)),
        )
    )
    return Subscriptions(
        subscribers=current["subscribers"],
        by_plan=[
            PlanRow(
                plan_id=row["plan_id"],
                name=row["plan__name"] or "",
                name_en=row["plan__name_en"] or "",
                level=row["access_level"],
                count=row["count"],
            )
            for row in groups
        ],
        by_level=_by_level(groups),
        weeks=weeks,
        new_per_week=[*[past[week].sold for week in weeks[:-1]], this_week["sold"]],
        ended_per_week=[*[past[week].ended for week in weeks[:-1]], this_week["ended"]],
        months=months,
        mrr_per_month=[figures[month].mrr_at_start for month in months],
        mrr=_money(current["mrr"]),
    )


def revenue_get(*, now: datetime, currency: str, figures: dict[date, MonthlyFigure]) -> Revenue:
    """Return the money received each month of the last twelve: kept for the months that are over,
    summed for this one (succeeded payments only)."""
    months = _month_starts(timezone.localdate(now))
    this_month = Payment.objects.filter(
        status=Payment.Status.SUCCEEDED,
        currency=currency,
        received_at__gte=_local_midnight(months[-1]),
    ).aggregate(total=Sum("amount"))
    per_month = [_money(figures[month].revenue) for month in months[:-1]]
    return Revenue(months=months, per_month=[*per_month, _money(this_month["total"])])


def invoices_get(*, now: datetime, currency: str) -> Invoices:
    """Split the open invoices at their deadline; count the accounts an unpaid one disabled."""
    # A few open invoices among millions: both queries start from the partial index on open ones.
    open_invoices = Invoice.objects.filter(status=Invoice.Status.OPEN, currency=currency)
    counts = open_invoices.aggregate(
        due_count=Count("pk", filter=Q(due_at__gte=now)),
        due_amount=Sum("amount_total", filter=Q(due_at__gte=now)),
        overdue_count=Count("pk", filter=Q(due_at__lt=now)),
        overdue_amount=Sum("amount_total", filter=Q(due_at__lt=now)),
    )
    holder_disabled = Q(customer__user__is_active=False) | Q(customer__group__owner__is_active=False)
    disabled = (
        open_invoices.filter(due_at__lt=now, overdue_processed_at__isnull=False)
        .filter(holder_disabled)
        .aggregate(count=Count("customer_id", distinct=True))
    )
    return Invoices(
        due_count=counts["due_count"],
        due_amount=_money(counts["due_amount"]),
        overdue_count=counts["overdue_count"],
        overdue_amount=_money(counts["overdue_amount"]),
        disabled_for_non_payment=disabled["count"],
    )


def waiting_get(*, error_reports: bool = True, contact: bool = True) -> Waiting:
    """Count the open error reports and the unanswered contact messages (and those about personal data)."""
    reports = ErrorReport.objects.filter(status=ReportStatus.OPEN).count() if error_reports else None
    messages: dict[str, Any] = {"contact": None, "data": None}
    if contact:
        about_data = Q()
        for word in DATA_REQUEST_WORDS:
            about_data |= Q(subject__icontains=word)
        messages = ContactMessage.objects.filter(is_handled=False).aggregate(
            contact=Count("pk"), data=Count("pk", filter=about_data)
        )
    return Waiting(error_reports=reports, contact_messages=messages["contact"], data_requests=messages["data"])


def staff_home_get(
    *, now: datetime | None = None, currency: str = "EUR", sections: frozenset[str] = SECTIONS
) -> StaffHome:
    """Return the business at a glance: members, sales, revenue, money due, and the work waiting.

    `sections` names what to compute; eleven queries at most whatever the number of rows.
    The view reads the kept copy instead (`snapshots.staff_home_current`).
    """
    now = now or timezone.now()
    figures: dict[date, MonthlyFigure] = {}
    if sections & {SUBSCRIPTIONS, REVENUE}:
        months = _month_starts(timezone.localdate(now))
        figures = monthly_figures_ensure(months=months, now=now, currency=currency)
    return StaffHome(
        generated_at=now,
        currency=currency,
        accounts=accounts_get() if ACCOUNTS in sections else None,
        subscriptions=subscriptions_get(now=now, figures=figures) if SUBSCRIPTIONS in sections else None,
        revenue=revenue_get(now=now, currency=currency, figures=figures) if REVENUE in sections else None,
        invoices=invoices_get(now=now, currency=currency) if INVOICES in sections else None,
        waiting=waiting_get(error_reports=ERROR_REPORTS in sections, contact=CONTACT in sections),
    )
