"""The staff home's figures kept for a minute (decision 0134).

Counting members, running periods and open invoices among millions of rows takes a few hundred
milliseconds; the staff home reads them from one row instead (`StaffHomeSnapshot`), which the
scheduler recomputes every minute (`manage.py backoffice_refresh`) and a page recomputes first
when it finds it older than BACKOFFICE_FIGURES_MAX_AGE_SECONDS. The work waiting (error reports,
contact messages) is small and counted on every page.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from .models import StaffHomeSnapshot
from .selectors import (
    ACCOUNTS,
    CONTACT,
    ERROR_REPORTS,
    INVOICES,
    REVENUE,
    SUBSCRIPTIONS,
    Accounts,
    Invoices,
    LevelRow,
    PlanRow,
    Revenue,
    StaffHome,
    Subscriptions,
    Waiting,
    staff_home_get,
    waiting_get,
)

KEPT = frozenset({ACCOUNTS, SUBSCRIPTIONS, REVENUE, INVOICES})


def _days(values: list[str]) -> list[date]:
    return [date.fromisoformat(value) for value in values]


def _amounts(values: list[str]) -> list[Decimal]:
    return [Decimal(value) for value in values]


def _decode(data: dict[str, Any]) -> StaffHome:
    """Rebuild what `staff_home_refresh` stored (JSON: amounts and dates as strings)."""
    subscriptions = data["subscriptions"]
    revenue = data["revenue"]
    invoices = data["invoices"]
    return StaffHome(
        generated_at=datetime.fromisoformat(data["generated_at"]),
        currency=data["currency"],
        accounts=Accounts(**data["accounts"]),
        subscriptions=Subscriptions(
            subscribers=subscriptions["subscribers"],
            by_plan=[PlanRow(**row) for row in subscriptions["by_plan"]],
            by_level=[LevelRow(**row) for row in subscriptions["by_level"]],
            weeks=_days(subscriptions["weeks"]),
            new_per_week=subscriptions["new_per_week"],
            ended_per_week=subscriptions["ended_per_week"],
            months=_days(subscriptions["months"]),
            mrr_per_month=_amounts(subscriptions["mrr_per_month"]),
            mrr=Decimal(subscriptions["mrr"]),
        ),
        revenue=Revenue(months=_days(revenue["months"]), per_month=_amounts(revenue["per_month"])),
        invoices=Invoices(
            due_count=invoices["due_count"],
            due_amount=Decimal(invoices["due_amount"]),
            overdue_count=invoices["overdue_count"],
            overdue_amount=Decimal(invoices["overdue_amount"]),
            disabled_for_non_payment=invoices["disabled_for_non_payment"],
        ),
        waiting=Waiting(error_reports=None, contact_messages=None, data_requests=None),
    )


def staff_home_refresh(*, now: datetime | None = None, currency: str = "EUR") -> StaffHome:
    """Compute the kept figures and store them (the scheduler's job, every minute)."""
    home = staff_home_get(now=now, currency=currency, sections=KEPT)
    StaffHomeSnapshot.objects.update_or_create(
        currency=currency, defaults={"computed_at": home.generated_at, "content": asdict(home)}
    )
    return home


def staff_home_current(*, sections: frozenset[str], currency: str = "EUR", now: datetime | None = None) -> StaffHome:
    """Return the staff home for a reader allowed to see `sections`: the kept figures if recent
    enough (recomputed first otherwise), the work waiting counted now."""
    now = now or timezone.now()
    kept: StaffHome | None = None
    if sections & KEPT:
        oldest = now - timedelta(seconds=int(settings.BACKOFFICE_FIGURES_MAX_AGE_SECONDS))
        snapshot = StaffHomeSnapshot.objects.filter(currency=currency, computed_at__gte=oldest).first()
        if snapshot is not None:
            try:
                kept = _decode(snapshot.content)
            except (KeyError, TypeError, ValueError, ArithmeticError):
                kept = None  # stored by an older version of this code: recompute
        if kept is None:
            kept = staff_home_refresh(now=now, currency=currency)
    return StaffHome(
        generated_at=kept.generated_at if kept else now,
        currency=currency,
        accounts=kept.accounts if kept and ACCOUNTS in sections else None,
        subscriptions=kept.subscriptions if kept and SUBSCRIPTIONS in sections else None,
        revenue=kept.revenue if kept and REVENUE in sections else None,
        invoices=kept.invoices if kept and INVOICES in sections else None,
        waiting=waiting_get(error_reports=ERROR_REPORTS in sections, contact=CONTACT in sections),
    )
