"""Keep the figures of the staff home that never change once known (decision 0134)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast
from django.utils import timezone

from cloudmentor.billing.models import Payment, Subscription

from .models import MonthlyFigure, WeeklyFigure

CENT = Decimal("0.01")


def _moment(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def monthly_figures_ensure(*, months: list[date], now: datetime, currency: str) -> dict[date, MonthlyFigure]:
    """Return the figures of `months` (first days), computing and storing those not known yet.

    One query when every figure is known; otherwise one aggregate over the periods and one over
    the payments for all the missing months at once. Two processes computing the same month
    store it once (the unique constraint; the later one's row is dropped).
    """
    known = {figure.month: figure for figure in MonthlyFigure.objects.filter(currency=currency, month__in=months)}
    current = date(timezone.localdate(now).year, timezone.localdate(now).month, 1)
    missing = [month for month in months if month not in known]
    unpaid = [month for month in months if month < current and (month in missing or known[month].revenue is None)]
    if not missing and not unpaid:
        return known

    monthly_price = Cast("price", FloatField()) / F("plan__duration_months")
    mrr: dict[str, Any] = {}
    if missing:
        mrr = Subscription.objects.filter(plan__isnull=False, currency=currency).aggregate(
            **{
                f"mrr_{index}": Sum(monthly_price, filter=Q(starts_at__lte=_moment(month), ends_at__gt=_moment(month)))
                for index, month in enumerate(missing)
            }
        )
    revenue: dict[str, Any] = {}
    if unpaid:
        revenue = Payment.objects.filter(
            status=Payment.Status.SUCCEEDED,
            currency=currency,
            received_at__gte=_moment(min(unpaid)),
            received_at__lt=_moment(_next_month(max(unpaid))),
        ).aggregate(
            **{
                f"revenue_{index}": Sum(
                    "amount", filter=Q(received_at__gte=_moment(month), received_at__lt=_moment(_next_month(month)))
                )
                for index, month in enumerate(unpaid)
            }
        )
    closed_revenue = {month: _money(revenue[f"revenue_{index}"]) for index, month in enumerate(unpaid)}
    MonthlyFigure.objects.bulk_create(
        [
            MonthlyFigure(
                month=month,
                currency=currency,
                mrr_at_start=_money(mrr[f"mrr_{index}"]),
                revenue=closed_revenue.get(month),
                computed_at=now,
            )
            for index, month in enumerate(missing)
        ],
        ignore_conflicts=True,
    )
    for month, amount in closed_revenue.items():
        if month not in missing:
            MonthlyFigure.objects.filter(month=month, currency=currency, revenue__isnull=True).update(
                revenue=amount, computed_at=now
            )
    return {figure.month: figure for figure in MonthlyFigure.objects.filter(currency=currency, month__in=months)}


# A sale is a purchase or an extension (not a grant, not a staff change).
SOLD = Q(source__in=[Subscription.Source.PURCHASE, Subscription.Source.EXTENSION])


def weekly_figures_ensure(*, weeks: list[date]) -> dict[date, WeeklyFigure]:
    """Return the figures of `weeks` (Mondays of weeks that are over), computing and storing the missing ones.

    One query when all are known; otherwise one aggregate for all the missing weeks.
    """
    known = {figure.week: figure for figure in WeeklyFigure.objects.filter(week__in=weeks)}
    missing = [week for week in weeks if week not in known]
    if not missing:
        return known
    aggregates: dict[str, Any] = {}
    for index, week in enumerate(missing):
        start, end = _moment(week), _moment(week + timedelta(weeks=1))
        aggregates[f"sold_{index}"] = Count("pk", filter=Q(created_at__gte=start, created_at__lt=end))
        aggregates[f"ended_{index}"] = Count("pk", filter=Q(ends_at__gte=start, ends_at__lt=end))
    first, last = _moment(min(missing)), _moment(max(missing) + timedelta(weeks=1))
    counts = (
        Subscription.objects.filter(SOLD)
        .filter(Q(created_at__gte=first, created_at__lt=last) | Q(ends_at__gte=first, ends_at__lt=last))
        .aggregate(**aggregates)
    )
    WeeklyFigure.objects.bulk_create(
        [
            WeeklyFigure(week=week, sold=counts[f"sold_{index}"], ended=counts[f"ended_{index}"])
            for index, week in enumerate(missing)
        ],
        ignore_conflicts=True,
    )
    return {figure.week: figure for figure in WeeklyFigure.objects.filter(week__in=weeks)}
