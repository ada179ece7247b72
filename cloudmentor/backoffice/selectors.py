"""The figures of the staff home (BZ-5), read from the other apps' models.

Each figure is one aggregate query (or one grouped query) whatever the number of rows:
periods are bucketed with conditional aggregates over boundaries computed here, in the
site's time zone, so the same SQL runs on SQLite and PostgreSQL and no row is ever
loaded into Python. Seven queries in all (decision 0134).
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
    plan_id: int | None
    label: str
    level: int
    count: int


@dataclass(frozen=True)
class LevelRow:
    level: int
    label: str
    count: int


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


def _plan_label(row: dict[str, Any]) -> str:
    if row["plan_id"] is None:
        return str(_("Accès offert par l'équipe"))
    if (get_language() or "").startswith("en") and row["plan__name_en"]:
        return str(row["plan__name_en"])
    return str(row["plan__name"])


def _by_level(groups: list[dict[str, Any]]) -> list[LevelRow]:
    """Add up the plans of each level (periods stack: a holder runs one period at a time)."""
    counts: dict[int, int] = {}
    for row in groups:
        counts[row["access_level"]] = counts.get(row["access_level"], 0) + row["count"]
    return [
        LevelRow(level=level, label=str(AccessLevel(level).label), count=count)
        for level, count in sorted(counts.items(), reverse=True)
    ]


def accounts_get() -> Accounts:
    """Count the members who may log in and those disabled (any reason); staff and erased accounts aside."""
    counts = User.objects.filter(is_staff=False, erased_at__isnull=True).aggregate(
        active=Count("pk", filter=Q(is_active=True)), disabled=Count("pk", filter=Q(is_active=False))
    )
    return Accounts(active=counts["active"], disabled=counts["disabled"])


def subscriptions_get(*, now: datetime) -> Subscriptions:
    """Return running periods by plan and level, sales and ends per week, and the MRR (two queries)."""
    today = timezone.localdate(now)
    weeks = _week_starts(today)
    months = _month_starts(today)
    week_bounds = _bounds(weeks, now)
    month_bounds = _bounds(months, now)

    # Each holder once per plan (a grant has no plan).
    groups = list(
        Subscription.objects.filter(starts_at__lte=now, ends_at__gt=now)
        .values("plan_id", "plan__name", "plan__name_en", "access_level")
        .annotate(count=Count("customer_id", distinct=True))
        .order_by("-access_level", "plan__name")
    )

    # A sale is a purchase or an extension (not a grant, not a staff change). The MRR spreads a
    # period's price over its plan's months.
    sold = Q(source__in=[Subscription.Source.PURCHASE, Subscription.Source.EXTENSION])
    monthly_price = Cast("price", FloatField()) / F("plan__duration_months")
    aggregates: dict[str, Any] = {
        "subscribers": Count("customer_id", distinct=True, filter=Q(starts_at__lte=now, ends_at__gt=now)),
        "mrr": Sum(monthly_price, filter=Q(plan__isnull=False, starts_at__lte=now, ends_at__gt=now)),
    }
    for index, (start, end) in enumerate(week_bounds):
        aggregates[f"new_{index}"] = Count("pk", filter=sold & Q(created_at__gte=start, created_at__lt=end))
        aggregates[f"ended_{index}"] = Count("pk", filter=sold & Q(ends_at__gte=start, ends_at__lt=end))
    for index, (start, _end) in enumerate(month_bounds):
        aggregates[f"mrr_{index}"] = Sum(
            monthly_price, filter=Q(plan__isnull=False, starts_at__lte=start, ends_at__gt=start)
        )
    window_start = min(week_bounds[0][0], month_bounds[0][0])
    # Only the periods that touch the window are read: those running or ended since its start,
    # and those bought since.
    periods = Subscription.objects.filter(Q(ends_at__gte=window_start) | Q(created_at__gte=window_start)).aggregate(
        **aggregates
    )
    return Subscriptions(
        subscribers=periods["subscribers"],
        by_plan=[
            PlanRow(plan_id=row["plan_id"], label=_plan_label(row), level=row["access_level"], count=row["count"])
            for row in groups
        ],
        by_level=_by_level(groups),
        weeks=weeks,
        new_per_week=[periods[f"new_{index}"] for index in range(WEEKS)],
        ended_per_week=[periods[f"ended_{index}"] for index in range(WEEKS)],
        months=months,
        mrr_per_month=[_money(periods[f"mrr_{index}"]) for index in range(MONTHS)],
        mrr=_money(periods["mrr"]),
    )


def revenue_get(*, now: datetime, currency: str) -> Revenue:
    """Return the money received each month of the last twelve (succeeded payments only)."""
    months = _month_starts(timezone.localdate(now))
    month_bounds = _bounds(months, now)
    revenue = Payment.objects.filter(
        status=Payment.Status.SUCCEEDED, currency=currency, received_at__gte=month_bounds[0][0], received_at__lt=now
    ).aggregate(
        **{
            f"month_{index}": Sum("amount", filter=Q(received_at__gte=start, received_at__lt=end))
            for index, (start, end) in enumerate(month_bounds)
        }
    )
    return Revenue(months=months, per_month=[_money(revenue[f"month_{index}"]) for index in range(MONTHS)])


def invoices_get(*, now: datetime, currency: str) -> Invoices:
    """Split the open invoices at their deadline; count the accounts an unpaid one disabled."""
    holder_disabled = Q(customer__user__is_active=False) | Q(customer__group__owner__is_active=False)
    counts = Invoice.objects.filter(status=Invoice.Status.OPEN, currency=currency).aggregate(
        due_count=Count("pk", filter=Q(due_at__gte=now)),
        due_amount=Sum("amount_total", filter=Q(due_at__gte=now)),
        overdue_count=Count("pk", filter=Q(due_at__lt=now)),
        overdue_amount=Sum("amount_total", filter=Q(due_at__lt=now)),
        disabled=Count(
            "customer_id", distinct=True, filter=Q(overdue_processed_at__isnull=False, due_at__lt=now) & holder_disabled
        ),
    )
    return Invoices(
        due_count=counts["due_count"],
        due_amount=_money(counts["due_amount"]),
        overdue_count=counts["overdue_count"],
        overdue_amount=_money(counts["overdue_amount"]),
        disabled_for_non_payment=counts["disabled"],
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

    `sections` names what to compute (the view passes what the reader may open); at most
    seven queries whatever the number of rows.
    """
    now = now or timezone.now()
    return StaffHome(
        generated_at=now,
        currency=currency,
        accounts=accounts_get() if ACCOUNTS in sections else None,
        subscriptions=subscriptions_get(now=now) if SUBSCRIPTIONS in sections else None,
        revenue=revenue_get(now=now, currency=currency) if REVENUE in sections else None,
        invoices=invoices_get(now=now, currency=currency) if INVOICES in sections else None,
        waiting=waiting_get(error_reports=ERROR_REPORTS in sections, contact=CONTACT in sections),
    )
