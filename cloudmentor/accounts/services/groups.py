"""Groups (PV-1, TM-2): an owner, their members, invitations by emailed link, seats.

The owner is a member of their own group; seats count the owner (docs/decisions/0060).
Lock order: the group row, then invitations and memberships.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from cloudmentor.mailing.services import email_queue

from ..caching import user_changed
from ..exceptions import (
    AlreadyInGroup,
    GroupError,
    InvitationForAnotherEmail,
    InvitationInvalid,
    InvitationPending,
    NoSeatLeft,
    NotGroupOwner,
    OwnerCannotLeave,
    YouAreInAGroup,
)
from ..models import Group, GroupInvitation, GroupMembership, User
from .base import _link, _now


def _group_locked(group_id: int) -> Group:
    return Group.objects.select_for_update(of=("self",)).select_related("owner").get(pk=group_id)


def group_members_changed(*, group: Group) -> None:
    """Make every member's cached account (and what depends on it: access level) stale."""
    for user_id in GroupMembership.objects.filter(group=group).values_list("user_id", flat=True):
        user_changed(user_id)


def group_set_access_end(*, group_id: int, ends_at: datetime | None) -> None:
    """Record the end of the group's paid-up period (billing keeps it equal to its last period's end).

    The owner's and members' sessions follow at their next request: their cached accounts
    are made stale, and the session middleware re-applies the expiry (CK-4, decision 0107).
    """
    if Group.objects.filter(pk=group_id).exclude(access_ends_at=ends_at).update(access_ends_at=ends_at):
        for user_id in GroupMembership.objects.filter(group_id=group_id).values_list("user_id", flat=True):
            user_changed(user_id)


@transaction.atomic
def group_create(*, owner: User, name: str = "") -> Group:
    """Create a group owned by `owner`, who becomes its first member.

    Raises YouAreInAGroup when the owner already belongs to a group (theirs or another).
    """
    if GroupMembership.objects.filter(user=owner).exists():
        raise YouAreInAGroup
    name = name.strip() or str(_("Groupe de %(username)s") % {"username": owner.username})
    try:
        with transaction.atomic():
            group = Group.objects.create(name=name[:100], owner=owner)
            GroupMembership.objects.create(group=group, user=owner)
    except IntegrityError as error:  # created at the same moment by another request
        raise YouAreInAGroup from error
    user_changed(owner.pk)
    return group


@transaction.atomic
def group_for_owner(*, owner: User, name: str = "") -> Group:
    """Return the group `owner` owns, created (named `name`) if they have none (a group plan is being bought).

    Raises YouAreInAGroup when they are a member of someone else's group.
    """
    group = Group.objects.filter(owner=owner).first()
    if group is not None:
        return group
    return group_create(owner=owner, name=name)


@transaction.atomic
def group_set_seats(*, group: Group, seats: int) -> Group:
    """Set how many people the group may hold, owner included (billing, from the plan bought)."""
    locked = _group_locked(group.pk)
    locked.seats = max(int(seats), 1)
    locked.save(update_fields=["seats"])
    group.seats = locked.seats
    return group


def _check_owner(group: Group, actor: User) -> None:
    if group.owner_id != actor.pk:
        raise NotGroupOwner


def invitation_token_hash(token: str) -> str:
    """Return what is stored of an invitation token: its SHA-256 (the token itself is only in the email)."""
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def group_invite(*, group: Group, actor: User, email: str, language: str) -> GroupInvitation:
    """Invite `email` to the group and email them a single-use link (owner only).

    Refused (nothing written, nothing sent) for a member of the group, an address with a
    pending invitation, or when members and pending invitations already fill the seats.
    """
    locked = _group_locked(group.pk)
    _check_owner(locked, actor)
    email = email.strip()
    now = _now()
    if GroupMembership.objects.filter(group=locked, user__email__iexact=email).exists():
        raise AlreadyInGroup
    pending = GroupInvitation.objects.filter(group=locked, accepted_at__isnull=True, revoked_at__isnull=True)
    # An expired invitation frees its address and its seat.
    pending.filter(expires_at__lte=now).update(revoked_at=now)
    if pending.filter(email__iexact=email).exists():
        raise InvitationPending
    if locked.memberships.count() + pending.count() >= locked.seats:
        raise NoSeatLeft
    token = secrets.token_hex(32)  # 64 hex digits: the request log and the log redact it (core.redaction)
    invitation = GroupInvitation.objects.create(
        group=locked,
        email=email,
        token_hash=invitation_token_hash(token),
        invited_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=int(settings.ACCOUNTS_GROUP_INVITATION_DAYS)),
    )
    email_queue(
        to=email,
        template="accounts/emails/group_invitation",
        context={
            "owner": actor.username,
            "group": locked.name,
            "join_url": _link("accounts:group_join", language, token=token),
            "expires_at": invitation.expires_at,
        },
        language=language,
    )
    return invitation


@transaction.atomic
def group_invitation_revoke(*, group: Group, actor: User, invitation_id: int) -> None:
    """Cancel a pending invitation (owner only): its link stops working at once."""
    locked = _group_locked(group.pk)
    _check_owner(locked, actor)
    updated = GroupInvitation.objects.filter(
        pk=invitation_id, group=locked, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=_now())
    if not updated:
        raise InvitationInvalid


@transaction.atomic
def group_join(*, user: User, token: str) -> Group:
    """Make `user` a member of the group an invitation link names; the link is used up.

    Raises InvitationInvalid (unknown, expired, used, revoked), InvitationForAnotherEmail,
    YouAreInAGroup, NoSeatLeft; nothing is changed then.
    """
    invitation = GroupInvitation.objects.filter(token_hash=invitation_token_hash(token)).first()
    if invitation is None:
        raise InvitationInvalid
    group = _group_locked(invitation.group_id)
    invitation = GroupInvitation.objects.select_for_update().get(pk=invitation.pk)
    now = _now()
    if not invitation.is_pending(now):
        raise InvitationInvalid
    if invitation.email.lower() != user.email.lower():
        raise InvitationForAnotherEmail
    if GroupMembership.objects.filter(user=user).exists():
        raise YouAreInAGroup
    if group.memberships.count() >= group.seats:
        raise NoSeatLeft
    GroupMembership.objects.create(group=group, user=user, joined_at=now)
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    user_changed(user.pk)
    return group


@transaction.atomic
def group_member_remove(*, group: Group, actor: User, user_id: int) -> None:
    """Remove a member (owner only; the owner is never removed this way)."""
    locked = _group_locked(group.pk)
    _check_owner(locked, actor)
    if user_id == locked.owner_id:
        raise OwnerCannotLeave
    deleted, _rows = GroupMembership.objects.filter(group=locked, user_id=user_id).delete()
    if not deleted:
        raise GroupError
    user_changed(user_id)


@transaction.atomic
def group_leave(*, user: User) -> None:
    """Leave the group `user` belongs to (a member, not the owner)."""
    membership = GroupMembership.objects.filter(user=user).select_related("group").first()
    if membership is None:
        raise GroupError
    locked = _group_locked(membership.group_id)
    if locked.owner_id == user.pk:
        raise OwnerCannotLeave
    GroupMembership.objects.filter(pk=membership.pk).delete()
    user_changed(user.pk)
