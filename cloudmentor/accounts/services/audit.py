"""The record of staff reading members' personal data (TR-2, decision 0104)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cloudmentor.core import stamps

from ..models import StaffAccess, User
from ..selectors import staff_access_stamp

# The same staff member opening the same thing of the same member again within this many
# seconds (a reload, the next page of a list) is the same consultation: one row.
SAME_ACCESS_SECONDS = 600


def _roles_of(staff: Any) -> str:
    from ..roles import user_roles  # roles reads the selectors; imported here to keep services below it

    return ",".join(user_roles(staff))


def record_staff_access(*, staff: Any, member: User | int, kind: str, reference: str = "") -> StaffAccess | None:
    """Record that `staff` opened `member`'s personal data (what: `kind`, which: `reference`).

    Nothing is recorded for a member reading their own data, nor twice for the same
    consultation within SAME_ACCESS_SECONDS.
    """
    member_id = member if isinstance(member, int) else member.pk
    if member_id is None or member_id == staff.pk:
        return None
    now = timezone.now()
    reference = str(reference)[:100]
    recent = StaffAccess.objects.filter(
        staff_id=staff.pk,
        member_id=member_id,
        kind=kind,
        reference=reference,
        created_at__gte=now - timedelta(seconds=SAME_ACCESS_SECONDS),
    )
    if recent.exists():
        return None
    access = StaffAccess.objects.create(
        staff_id=staff.pk,
        staff_username=staff.get_username(),
        roles=_roles_of(staff),
        member_id=member_id,
        kind=kind,
        reference=reference,
        created_at=now,
    )
    stamps.bump(staff_access_stamp(member_id))
    return access


def record_staff_access_many(*, staff: Any, member_ids: Iterable[int], kind: str) -> int:
    """Record one access per member shown in a list staff asked for (a search); two queries."""
    ids = {member_id for member_id in member_ids if member_id is not None and member_id != staff.pk}
    if not ids:
        return 0
    now = timezone.now()
    seen = set(
        StaffAccess.objects.filter(
            staff_id=staff.pk,
            member_id__in=ids,
            kind=kind,
            reference="",
            created_at__gte=now - timedelta(seconds=SAME_ACCESS_SECONDS),
        ).values_list("member_id", flat=True)
    )
    roles = _roles_of(staff)
    rows = [
        StaffAccess(
            staff_id=staff.pk,
            staff_username=staff.get_username(),
            roles=roles,
            member_id=member_id,
            kind=kind,
            created_at=now,
        )
        for member_id in sorted(ids - seen)
    ]
    StaffAccess.objects.bulk_create(rows)
    if rows:
        stamps.bump(*(staff_access_stamp(row.member_id) for row in rows))
    return len(rows)


@transaction.atomic
def staff_access_purge(*, now: Any = None) -> int:
    """Delete the records older than ACCOUNTS_STAFF_ACCESS_RETENTION_DAYS; return how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=int(settings.ACCOUNTS_STAFF_ACCESS_RETENTION_DAYS))
    old = StaffAccess.objects.filter(created_at__lt=cutoff)
    members = set(old.values_list("member_id", flat=True).distinct())
    deleted = old.delete()[0]
    if members:
        stamps.bump(*(staff_access_stamp(member_id) for member_id in members))
    return deleted
