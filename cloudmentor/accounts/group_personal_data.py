"""Groups' part of the export (PV-9) and of erasure (PV-10) (PV-1).

Erasing a member takes them out of their group. Erasing an owner ends the group: its
subscription ends with the owner's account (billing drops its invoices not issued yet),
the other members leave it and are told by email (decision 0107).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cloudmentor.core.personal_data import Item, Outcome, Section, Subject
from cloudmentor.mailing.services import email_queue

from .caching import user_changed
from .models import Group, GroupInvitation, GroupMembership, User
from .services.base import _link

GROUP_CLOSED_TEMPLATE = "accounts/emails/group_closed"

ORDER = 90  # before the account itself (100), which anonymises it


def _invitation(invitation: GroupInvitation) -> dict[str, Any]:
    return {
        "group": invitation.group.name,
        "email": invitation.email,
        "sent_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "accepted_at": invitation.accepted_at,
        "revoked_at": invitation.revoked_at,
    }


def groups_export(subject: Subject) -> dict[str, Any]:
    """Return the group the member owns or belongs to, the invitations they sent and received. Four queries."""
    user: User = subject.user
    membership = GroupMembership.objects.filter(user=user).select_related("group__owner").first()
    group: dict[str, Any] | None = None
    if membership is not None:
        is_owner = membership.group.owner_id == user.pk
        group = {
            "name": membership.group.name,
            "role": "owner" if is_owner else "member",
            "owner": membership.group.owner.username,
            "created_at": membership.group.created_at,
            "joined_at": membership.joined_at,
            "seats": membership.group.seats,
        }
        if is_owner:
            group["members"] = [
                {"username": row.user.username, "joined_at": row.joined_at}
                for row in GroupMembership.objects.filter(group=membership.group).select_related("user")
            ]
    return {
        "group": group,
        "invitations_sent": [
            _invitation(invitation)
            for invitation in GroupInvitation.objects.filter(group__owner=user).select_related("group")
        ],
        "invitations_received": [
            _invitation(invitation)
            for invitation in GroupInvitation.objects.filter(email__iexact=subject.email).select_related("group")
        ],
    }


def group_members_other_than_owner(*, user: User) -> int:
    """Return how many people are in the group `user` owns, besides them (0 without a group)."""
    return GroupMembership.objects.filter(group__owner=user).exclude(user=user).count()


def _group_close(group: Group, owner: User) -> int:
    """Take every member but the owner out of the group, each told by email; return how many (PV-10)."""
    others = list(GroupMembership.objects.filter(group=group).exclude(user=owner).select_related("user"))
    for membership in others:
        member = membership.user
        email_queue(
            to=member.email,
            template=GROUP_CLOSED_TEMPLATE,
            context={"username": member.username, "plans_url": _link("billing:plans", member.language)},
            language=member.language,
        )
    GroupMembership.objects.filter(pk__in=[membership.pk for membership in others]).delete()
    for membership in others:
        user_changed(membership.user_id)  # their access level and cookie lifetime follow at once
    return len(others)


def groups_erase(subject: Subject) -> Outcome:
    """Leave the group; an owner's group ends: members out and told, group anonymised, invitations deleted."""
    user: User = subject.user
    sent = GroupInvitation.objects.filter(group__owner=user).delete()[0]
    received = GroupInvitation.objects.filter(email__iexact=subject.email).delete()[0]
    erased = []
    kept = []
    group = Group.objects.filter(owner=user).first()
    if group is not None:
        members = _group_close(group, user)
        if members:
            erased.append(Item("members", _("Les membres de votre groupe, qui en sont retirés et prévenus"), members))
        # Kept (its invoices are kept ten years and name its billing customer), without its name.
        group.name = f"#{group.pk}"
        group.access_ends_at = None
        group.save(update_fields=["name", "access_ends_at"])
        kept.append(Item("group", _("Le groupe, anonyme, sans nom ni membre"), 1, _("Ses factures sont conservées.")))
    memberships = GroupMembership.objects.filter(user=user).delete()[0]
    user_changed(user.pk)
    return Outcome(
        erased=[
            Item("membership", _("Votre appartenance à un groupe"), memberships),
            Item("invitations", _("Les invitations envoyées et reçues (adresses e-mail)"), sent + received),
            *erased,
        ],
        kept=kept,
    )


def _notices(user: Any) -> list[str]:
    count = group_members_other_than_owner(user=user)
    if not count:
        return []
    return [
        str(
            _(
                "Vous êtes propriétaire d'un groupe qui compte encore %(count)s membre(s) : l'effacement met fin "
                "à l'abonnement du groupe ; ses membres en sont retirés et prévenus par e-mail."
            )
            % {"count": count}
        )
    ]


SECTION = Section(
    key="groups",
    title=_("Groupe"),
    order=ORDER,
    export=groups_export,
    erase=groups_erase,
    holds=(
        ("group", _("le groupe dont vous êtes propriétaire ou membre, et sa liste de membres si c'est le vôtre")),
        ("invitations_sent", _("les invitations que vous avez envoyées : adresse e-mail, dates, état")),
        ("invitations_received", _("les invitations reçues à votre adresse")),
    ),
    erases=(
        _("votre appartenance à un groupe : vous le quittez"),
        _("les invitations envoyées et reçues"),
        _(
            "si vous êtes propriétaire d'un groupe : son abonnement prend fin, ses membres en sont retirés "
            "et prévenus par e-mail"
        ),
    ),
    keeps=(
        (
            _("le groupe dont vous êtes propriétaire, anonyme, sans nom ni membre"),
            _("Ses factures sont conservées."),
        ),
    ),
    notices=_notices,
)
