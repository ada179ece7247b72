"""Provisioning by the company's directory (SCIM, ID-2): members added and removed without an invitation.

The directory speaks for the group's owner (its token is the owner's), so a new address gets a
new account that joins at once, taking a seat like any member (decision 0060: members and
pending invitations never exceed the seats; the group row is locked, as for a join). An
account that already exists and is in no group of this owner's is never pulled in: the person
must accept an invitation, because the owner would then see their progress (LM-7).
Decision 0142.
"""

from __future__ import annotations

import secrets
import unicodedata

from django.db import IntegrityError, transaction

from .. import events
from ..caching import user_changed
from ..exceptions import EmailTaken, NoSeatLeft, OwnerCannotLeave
from ..models import Group, GroupInvitation, GroupMembership, User, email_key
from .base import _now
from .groups import _group_locked
from .sessions import sessions_revoke_all

USERNAME_MAX = 150


def _username_for(user_name: str) -> str:
    """Return a free account username made from the directory's userName (its part before any "@")."""
    base = User.normalize_username(user_name.split("@", 1)[0].strip()) or "membre"
    base = "".join(c for c in unicodedata.normalize("NFKC", base) if c.isalnum() or c in "._+-")[:140] or "membre"
    candidate = base
    while User.objects.filter(username__iexact=candidate).exists():
        candidate = f"{base}-{secrets.token_hex(3)}"
    return candidate[:USERNAME_MAX]


def _seats_left(group: Group) -> int:
    now = _now()
    pending = GroupInvitation.objects.filter(
        group=group, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).count()
    return group.seats - group.memberships.count() - pending


@transaction.atomic
def group_member_provision(*, group: Group, email: str, user_name: str, language: str) -> tuple[User, bool]:
    """Make the person at `email` a member of `group`; return (account, whether it was created).

    An account already in this group is returned as it is (the directory adopts it). A new
    address gets an account with no usable password (the member signs in through the
    company's sign-on, or sets a password with « Mot de passe oublié »). Raises EmailTaken
    for an account outside this group (it would have to accept an invitation), NoSeatLeft
    when the seats are full.
    """
    locked = _group_locked(group.pk)
    # The address as accounts compares them: NFKC and case-folded (look-alikes are one address, TR-7).
    existing = User.objects.filter(email_key=email_key(email)).first()
    if existing is not None:
        if GroupMembership.objects.filter(group=locked, user=existing).exists():
            return existing, False
        raise EmailTaken
    if _seats_left(locked) <= 0:
        raise NoSeatLeft
    user = User(username=_username_for(user_name), email=email.strip(), language=language, date_joined=_now())
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:  # the same address created at the same moment (another group, a registration)
        raise EmailTaken from error
    events.account_registered(user=user, ip=None, user_agent="")
    GroupMembership.objects.create(group=locked, user=user, joined_at=_now())
    user_changed(user.pk)
    return user, True


@transaction.atomic
def group_member_restore(*, group: Group, user: User) -> None:
    """Give a deprovisioned member their seat back (the directory set them active again).

    Raises NoSeatLeft when the seats are full, EmailTaken when they joined another group meanwhile.
    """
    locked = _group_locked(group.pk)
    if GroupMembership.objects.filter(group=locked, user=user).exists():
        return
    if GroupMembership.objects.filter(user=user).exists():
        raise EmailTaken
    if _seats_left(locked) <= 0:
        raise NoSeatLeft
    GroupMembership.objects.create(group=locked, user=user, joined_at=_now())
    user_changed(user.pk)


@transaction.atomic
def group_member_deprovision(*, group: Group, user: User, reason: str) -> int:
    """Take `user` out of `group` (their seat is free) and end every session they have, on every device.

    The account stays: the person may hold their own subscription. Returns how many sessions
    ended; the owner is never deprovisioned (OwnerCannotLeave).
    """
    locked = _group_locked(group.pk)
    if user.pk == locked.owner_id:
        raise OwnerCannotLeave
    GroupMembership.objects.filter(group=locked, user=user).delete()
    ended = sessions_revoke_all(user=user, actor=None, reason=reason)
    user_changed(user.pk)
    return ended


def group_member_is_in(*, group: Group, user: User) -> bool:
    """Tell whether `user` holds a seat in `group` now."""
    return GroupMembership.objects.filter(group=group, user=user).exists()
