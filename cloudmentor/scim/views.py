"""The group owner's SCIM page: the API's address, tokens (create — shown once —, list, revoke), the history."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cloudmentor.accounts.exceptions import NotGroupOwner
from cloudmentor.accounts.http import AuthenticatedHttpRequest
from cloudmentor.accounts.models import Group
from cloudmentor.accounts.selectors import group_membership_of

from .exceptions import TokenInvalid
from .forms import TokenCreateForm
from .selectors import scim_history_for_group, scim_tokens_for_group, scim_users_for_group
from .services import token_create, token_revoke


def _page(
    request: HttpRequest, group: Group, *, form: TokenCreateForm | None = None, new_token: str = "", status: int = 200
) -> HttpResponse:
    context = {
        "group": group,
        "form": form or TokenCreateForm(),
        "new_token": new_token,
        "tokens": list(scim_tokens_for_group(group=group)),
        "history": scim_history_for_group(group=group),
        "provisioned": scim_users_for_group(group=group).count(),
        "base_url": f"{settings.SITE_URL}/scim/v2",
    }
    return render(request, "scim/tokens.html", context, status=status)


@never_cache
@login_required
def tokens(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The owner's page; anyone else gets 403 with the reason."""
    membership = group_membership_of(user=request.user)
    if membership is None or membership.group.owner_id != request.user.pk:
        return render(request, "accounts/group_refused.html", {"message": NotGroupOwner.message}, status=403)
    group = membership.group
    if request.method != "POST":
        return _page(request, group)
    if request.POST.get("action") == "revoke":
        try:
            token = token_revoke(group=group, actor=request.user, token_id=int(request.POST.get("token") or 0))
        except (TokenInvalid, ValueError):
            messages.error(request, _("Ce jeton n'existe pas ou est déjà révoqué."))
        else:
            messages.success(
                request, _("Le jeton « %(name)s » est révoqué : il ne donne plus accès.") % {"name": token.name}
            )
        return redirect("scim:tokens")
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _page(request, group, form=form, status=400)
    _token, raw = token_create(group=group, actor=request.user, name=form.cleaned_data["name"])
    # Shown on this answer only (never stored, never in a redirect's session message).
    return _page(request, group, new_token=raw)
