"""Reminders before a validity end, offering the extension (BZ-4, TM-6, TM-8).

``BILLING_REMINDER_DAYS`` (default 14 and 3) days before the end of a customer's last
period, its subscriber gets one email per day count and period end. Run hourly by the
scheduler (``billing_reminders``); safe to run twice, even at once (a unique row per
reminder, written with the email in one transaction).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from cloudmentor.mailing.services import email_queue

from ..models import Customer, ExpiryReminder, Subscription
from ._common import _absolute, _now


def _reminder_days() -> list[int]:
    """The day counts of ``BILLING_REMINDER_DAYS``, smallest first (read at call time)."""
    return sorted({int(days) for days in settings.BILLING_REMINDER_DAYS if int(days) > 0})


def _due_days(days: list[int], remaining: timedelta) -> int | None:
    """Return the reminder due with `remaining` time left: the nearest day count not yet passed.

    With 10 days left, J-14 is due; with 2 days left, J-3 (a J-14 missed by a stopped
    scheduler is never sent that late: one email, the nearest).
    """
    for count in days:
        if remaining <= timedelta(days=count):
            return count
    return None


def expiry_reminders_send(*, now: datetime | None = None) -> int:
    """Send every reminder due now; return how many were sent.

    Three queries find the candidates (last periods ending within the largest day count,
    active subscribers), the reminders already sent and the customers; each email then
    costs its own row and the outbox row, in one transaction.
    """
    now = now or _now()
    days = _reminder_days()
    if not days:
        return 0
    later = Subscription.objects.filter(customer_id=OuterRef("customer_id"), ends_at__gt=OuterRef("ends_at"))
    ends = (
        Subscription.objects.filter(ends_at__gt=now, ends_at__lte=now + timedelta(days=days[-1]))
        .filter(~Exists(later))
        .filter(Q(customer__user__is_active=True) | Q(customer__group__owner__is_active=True))
        .order_by("ends_at", "customer_id")
        .values_list("customer_id", "ends_at")
        .distinct()
    )
    candidates = list(ends)
    if not candidates:
        return 0
    sent_before = set(
        ExpiryReminder.objects.filter(
            customer_id__in={customer_id for customer_id, _end in candidates}, validity_end_at__gt=now
        ).values_list("customer_id", "validity_end_at", "days_before")
    )
    due = [
        (customer_id, end, days_before)
        for customer_id, end in candidates
        if (days_before := _due_days(days, end - now)) is not None
        and (customer_id, end, days_before) not in sent_before
    ]
    if not due:
        return 0
    customers = Customer.objects.select_related("user", "group__owner").in_bulk({row[0] for row in due})
    sent = 0
    for customer_id, end, days_before in due:
        if _reminder_send(customer=customers[customer_id], end=end, days_before=days_before, now=now):
            sent += 1
    return sent


def _reminder_send(*, customer: Customer, end: datetime, days_before: int, now: datetime) -> bool:
    """Record the reminder and queue its email together; False when another run sent it first."""
    try:
        with transaction.atomic():
            ExpiryReminder.objects.create(customer=customer, validity_end_at=end, days_before=days_before, sent_at=now)
            user = customer.contact  # a group's reminders go to its owner (TM-2)
            if user is None or not user.is_active:
                return True  # recorded all the same: nothing to send for this end
            language = user.language or settings.LANGUAGE_CODE
            email_queue(
                to=user.email,
                template="billing/emails/expiry_reminder",
                context={
                    "username": user.username,
                    "ends_at": end,
                    "days_left": max(1, math.ceil((end - now) / timedelta(days=1))),
                    "is_group": customer.group_id is not None,
                    "plans_url": _absolute("billing:plans", language),
                },
                language=language,
            )
    except IntegrityError:  # the same reminder, written by a run at the same moment
        return False
    return True
