"""Calendar arithmetic of subscription periods."""

from __future__ import annotations

import calendar
from datetime import datetime

from django.utils import timezone


def add_months(moment: datetime, months: int) -> datetime:
    """Return `moment` plus `months` calendar months, on the local wall clock.

    The day is clamped to the end of a shorter month (31 January + 1 month = 28 or 29
    February) and the local time of day is kept across daylight-saving changes.
    """
    local = timezone.localtime(moment)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    naive = local.replace(tzinfo=None, year=year, month=month, day=day)
    return timezone.make_aware(naive, timezone.get_current_timezone())
