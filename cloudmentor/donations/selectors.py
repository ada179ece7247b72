"""Reads of donations: a member's list, the thank-you page, the staff totals, the export."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncMonth

from cloudmentor.accounts.models import User

from .models import Donation


def donation_list_for_user(*, user: User) -> QuerySet[Donation]:
    """The member's donations, newest first: the paid ones and those still waiting for payment."""
    return Donation.objects.filter(user=user).exclude(status=Donation.Status.ABANDONED).order_by("-created_at", "-pk")


def donation_by_public_id(*, public_id: UUID) -> Donation | None:
    return Donation.objects.filter(public_id=public_id).first()


def donation_monthly_totals(*, queryset: QuerySet[Donation] | None = None) -> list[dict[str, Any]]:
    """Paid donations per month and currency, newest month first: count and total."""
    base = Donation.objects.all() if queryset is None else queryset
    rows = (
        base.filter(status=Donation.Status.PAID)
        .annotate(month=TruncMonth("paid_at"))
        .values("month", "currency")
        .annotate(count=Count("pk"), total=Sum("amount"))
        .order_by("-month", "currency")
    )
    return [
        {
            "month": row["month"],
            "currency": row["currency"],
            "count": row["count"],
            "total": Decimal(row["total"] or 0).quantize(Decimal("0.01")),
        }
        for row in rows
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def donations_export_for_user(*, user: User) -> dict[str, Any]:
    """The member's donations for the personal-data export (PV-9)."""
    return {
        "donations": [
            {
                "reference": donation.reference,
                "status": donation.status,
                "amount": str(donation.amount),
                "currency": donation.currency,
                "name": donation.name,
                "email": donation.email,
                "created_at": _iso(donation.created_at),
                "paid_at": _iso(donation.paid_at),
                "abandoned_at": _iso(donation.abandoned_at),
            }
            for donation in Donation.objects.filter(user=user).order_by("created_at", "pk")
        ]
    }
