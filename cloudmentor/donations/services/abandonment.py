"""Abandoned checkouts: pending donations nobody paid, given up after a delay or by staff."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from ..exceptions import DonationNotAbandonable
from ..models import Donation
from ._common import _now


def donations_abandon_stale(*, now: datetime | None = None) -> int:
    """Mark abandoned the donations still pending `DONATIONS_ABANDON_AFTER_HOURS` after creation.

    Idempotent (only pending rows change) and safe to run twice at once (one UPDATE).
    """
    now = now or _now()
    cutoff = now - timedelta(hours=int(settings.DONATIONS_ABANDON_AFTER_HOURS))
    return Donation.objects.filter(status=Donation.Status.PENDING, created_at__lte=cutoff).update(
        status=Donation.Status.ABANDONED, abandoned_at=now
    )


@transaction.atomic
def donation_mark_abandoned(*, donation: Donation) -> Donation:
    """Staff give up on a pending donation (the donor left Stripe's page); a paid one never changes."""
    locked = Donation.objects.select_for_update().get(pk=donation.pk)
    if locked.status != Donation.Status.PENDING:
        raise DonationNotAbandonable
    locked.status = Donation.Status.ABANDONED
    locked.abandoned_at = _now()
    locked.save(update_fields=["status", "abandoned_at"])
    return locked
