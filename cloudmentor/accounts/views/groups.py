"""Groups (PV-1, TM-2): the person's group page, its actions, and the invitation link.

The group page's forms all post to the page itself with an `action` field; `group_view`
hands each action to its own small view (`GROUP_ACTIONS`). A refusal is a page of its
own: 403 when only the owner may act, 400 otherwise, and 400 for an unknown action.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from .. import services
from ..exceptions import GroupError, InvitationInvalid, NotGroupOwner
from ..forms import GroupCreateForm, GroupInviteForm
from ..http import AuthenticatedHttpRequest
from ..models import GroupMembership, User
from ..selectors import group_invitation_by_token, group_invitation_pending_list, group_member_list, group_membership_of

# A group action: the request, the person, and their membership (None without a group).
GroupAction = Callable[[HttpRequest, User, GroupMembership | None], HttpResponse]


def _group_refused(request: HttpRequest, error: GroupError, status: int = 403) -> HttpResponse:
    return render(request, "accounts/group_refused.html", {"message": error.message}, status=status)


def _action_refused(request: HttpRequest, error: GroupError) -> HttpResponse:
    """Refuse an action: 403 when only the owner may do it, 400 for any other refusal."""
    if isinstance(error, NotGroupOwner):
        return _group_refused(request, error)
    return _group_refused(request, error, status=400)


def _group_page(
    request: HttpRequest,
    user: User,
    membership: GroupMembership | None,
    *,
    create_form: GroupCreateForm | None = None,
    invite_form: GroupInviteForm | None = None,
) -> HttpResponse:
    """The group page; 400 when it shows a form back with its errors."""
    if create_form is None:
        create_form = GroupCreateForm()
    if invite_form is None:
        invite_form = GroupInviteForm()
    context: dict[str, object] = {"membership": membership, "create_form": create_form, "invite_form": invite_form}
    if membership is not None and membership.group.owner_id == user.pk:
        group = membership.group
        members = list(group_member_list(group=group))
        invitations = list(group_invitation_pending_list(group=group))
        context.update(members=members, invitations=invitations, seats_used=len(members) + len(invitations))
    status = 400 if (create_form.errors or invite_form.errors) else 200
    return render(request, "accounts/group.html", context, status=status)


def _int(value: str | None) -> int:
    try:
        return int(value or "")
    except ValueError:
        return 0


def group_create_action(request: HttpRequest, user: User, membership: GroupMembership | None) -> HttpResponse:
    """Create a group owned by the person (who must not be in one)."""
    form = GroupCreateForm(request.POST)
    if not form.is_valid():
        return _group_page(request, user, membership, create_form=form)
    try:
        services.group_create(owner=user, name=form.cleaned_data["name"])
    except GroupError as error:
        return _action_refused(request, error)
    messages.success(request, _("Votre groupe est créé. Invitez ses membres par e-mail."))
    return redirect("accounts:group")


def group_invite_action(request: HttpRequest, user: User, membership: GroupMembership | None) -> HttpResponse:
    """Invite an address (owner); a refusal is shown on the invitation form."""
    if membership is None:
        return _action_refused(request, GroupError())
    form = GroupInviteForm(request.POST)
    if form.is_valid():
        email = form.cleaned_data["email"]
        try:
            services.group_invite(group=membership.group, actor=user, email=email, language=get_language() or "fr")
        except NotGroupOwner as error:
            return _group_refused(request, error)
        except GroupError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": email})
            return redirect("accounts:group")
    return _group_page(request, user, membership, invite_form=form)


def group_invitation_revoke_action(
    request: HttpRequest, user: User, membership: GroupMembership | None
) -> HttpResponse:
    """Cancel a pending invitation (owner)."""
    if membership is None:
        return _action_refused(request, GroupError())
    try:
        services.group_invitation_revoke(
            group=membership.group, actor=user, invitation_id=_int(request.POST.get("invitation"))
        )
    except GroupError as error:
        return _action_refused(request, error)
    messages.success(request, _("L'invitation est annulée : son lien ne fonctionne plus."))
    return redirect("accounts:group")


def group_member_remove_action(request: HttpRequest, user: User, membership: GroupMembership | None) -> HttpResponse:
    """Remove a member (owner)."""
    if membership is None:
        return _action_refused(request, GroupError())
    try:
        services.group_member_remove(group=membership.group, actor=user, user_id=_int(request.POST.get("member")))
    except GroupError as error:
        return _action_refused(request, error)
    messages.success(request, _("Le membre a été retiré du groupe."))
    return redirect("accounts:group")


def group_leave_action(request: HttpRequest, user: User, membership: GroupMembership | None) -> HttpResponse:
    """Leave the group (a member, not the owner)."""
    if membership is None:
        return _action_refused(request, GroupError())
    try:
        services.group_leave(user=user)
    except GroupError as error:
        return _action_refused(request, error)
    messages.success(request, _("Vous avez quitté le groupe."))
    return redirect("accounts:group")


def group_unknown_action(request: HttpRequest, user: User, membership: GroupMembership | None) -> HttpResponse:
    return _action_refused(request, GroupError())


GROUP_ACTIONS: dict[str, GroupAction] = {
    "create": group_create_action,
    "invite": group_invite_action,
    "revoke": group_invitation_revoke_action,
    "remove": group_member_remove_action,
    "leave": group_leave_action,
}


@login_required
@never_cache
def group_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The person's group: the owner manages members and invitations; a member sees it and can leave."""
    user = request.user
    membership = group_membership_of(user=user)
    if request.method == "POST":
        action = GROUP_ACTIONS.get(request.POST.get("action", ""), group_unknown_action)
        return action(request, user, membership)
    return _group_page(request, user, membership)


@never_cache
def group_join(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation link: a visitor registers or logs in first; a member joins with one POST."""
    invitation = group_invitation_by_token(token)
    if invitation is None or not invitation.is_pending():
        return _group_refused(request, InvitationInvalid(), status=404)
    if not request.user.is_authenticated:
        return render(request, "accounts/group_join.html", {"invitation": invitation, "next": request.path})
    if request.method == "POST":
        try:
            group = services.group_join(user=request.user, token=token)
        except GroupError as error:
            return _group_refused(request, error, status=409)
        messages.success(request, _("Bienvenue dans le groupe %(group)s !") % {"group": group.name})
        return redirect("accounts:group")
    return render(request, "accounts/group_join.html", {"invitation": invitation})
