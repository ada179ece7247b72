"""Reads of the accounts app."""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from cloudmentor.core import stamps

from .caching import user_stamp as user_stamp  # other apps' caches key on the account's stamp
from .models import AccountEvent, AccountSession, Group, GroupInvitation, GroupMembership, StaffAccess, User

# A member's account page shows the latest staff accesses to their data (TR-2) from the cache.
STAFF_ACCESS_CACHE_SECONDS = 3600
STAFF_ACCESS_SHOWN = 10


def user_by_identifier(identifier: str) -> User | None:
    """Return the account a login identifier names: an email if it has an "@", else a username.

    Both compare case-insensitively; usernames cannot contain "@" (registration refuses it).
    An email compares by its key (NFKC, case-folded), as accounts own addresses (TR-7).
    """
    identifier = User.normalize_username(identifier.strip())  # NFKC, as usernames are stored
    if not identifier:
        return None
    if "@" in identifier:
        return user_by_email(identifier)
    return User.objects.filter(username__iexact=identifier).order_by("pk").first()


def user_by_email(email: str) -> User | None:
    """Return the account that owns `email` (NFKC, case-folded: look-alikes are one address, TR-7)."""
    key = User.normalize_email_key(email)
    return User.objects.filter(email_key=key).first() if key else None


def session_list(*, user: User) -> QuerySet[AccountSession]:
    """Return the member's open sessions, most recently seen first."""
    return AccountSession.objects.filter(user=user, expire_date__gt=timezone.now()).order_by("-last_seen_at", "-pk")


def session_device_id(*, session_key: str | None) -> str:
    """Return the public id of the device a session key is open on ("" when it is none of them)."""
    return str(AccountSession.objects.filter(session_key=session_key).values_list("device_id", flat=True).first() or "")


def event_list(*, user: User, limit: int = 20, kinds: Collection[str] | None = None) -> QuerySet[AccountEvent]:
    """Return the latest events of the account (only `kinds` if given), with their authors."""
    rows = AccountEvent.objects.filter(user=user)
    if kinds is not None:
        rows = rows.filter(kind__in=list(kinds))
    return rows.select_related("actor")[:limit]


def terms_version_current() -> int | None:
    """Return the version of the terms of use in force, or None if none is published.

    The terms belong to the ``legal`` app, a layer above: its selector is named by a
    dotted path in ``ACCOUNTS_TERMS_LOOKUP`` (like middleware, outside the import graph).
    """
    lookup = import_string(settings.ACCOUNTS_TERMS_LOOKUP)
    document = lookup(kind="terms", language=settings.LANGUAGE_CODE)
    version = getattr(document, "version", None)
    return int(version) if version is not None else None


def group_membership_of(*, user: User) -> GroupMembership | None:
    """Return the person's group membership (PV-1), with its group and owner, or None."""
    return GroupMembership.objects.filter(user=user).select_related("group__owner").first()


def group_member_list(*, group: Group) -> QuerySet[GroupMembership]:
    """Return the group's members, owner included, oldest first, with their accounts."""
    return GroupMembership.objects.filter(group=group).select_related("user").order_by("joined_at", "pk")


def group_invitation_pending_list(*, group: Group) -> QuerySet[GroupInvitation]:
    """Return the invitations still usable (not accepted, revoked or expired), newest first."""
    return GroupInvitation.objects.filter(
        group=group, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).order_by("-created_at", "-pk")


def group_invitation_by_token(token: str) -> GroupInvitation | None:
    """Return the invitation a link's token names (any state), or None for a forged one."""
    if not token or len(token) > 128:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    return GroupInvitation.objects.filter(token_hash=digest).select_related("group__owner").first()


def group_member_ids(*, group_id: int) -> list[int]:
    """Return the ids of the group's members, owner included."""
    return list(GroupMembership.objects.filter(group_id=group_id).values_list("user_id", flat=True))


def user_is_verified_staff(user: object) -> bool:
    """Return whether `user` may use staff rights now: an active staff account whose second factor
    was verified in this session (TR-1). The staff password alone grants nothing anywhere.

    `is_verified` is what django-otp's middleware adds to the request's user; a user loaded
    any other way (a task, a script) is never verified.
    """
    if not (getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)):
        return False
    if not getattr(user, "is_staff", False):
        return False
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified is not None and is_verified())


def staff_access_stamp(member_id: int) -> str:
    """The change stamp of a member's list of staff accesses: bumped by every record and purge."""
    return f"accounts:staff-accesses:{member_id}"


def staff_access_list(*, member: User, limit: int = STAFF_ACCESS_SHOWN) -> list[StaffAccess]:
    """Return the latest staff accesses to `member`'s data (TR-2), from the cache when unchanged.

    Most members have none: the account page must not pay a query for an empty list on
    every visit, so the list is cached against the member's stamp.
    """
    key = f"accounts:staff-access-list:{member.pk}:{limit}"
    found = stamps.lookup(key, staff_access_stamp(member.pk))
    if found.value is not None:
        return list(found.value)
    rows = list(StaffAccess.objects.filter(member=member).order_by("-created_at", "-pk")[:limit])
    stamps.store(key, rows, found, STAFF_ACCESS_CACHE_SECONDS)
    return rows
