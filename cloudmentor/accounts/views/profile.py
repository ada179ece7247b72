"""A member's own account: profile, password, email (PV-7), data export (PV-9), erasure (PV-10)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cloudmentor.core import personal_data
from cloudmentor.core.http import client_ip, user_agent_of
from cloudmentor.core.throttle import Limit, throttle_refund, throttle_retry_after, throttle_take, throttled

from .. import services
from ..exceptions import AlreadyErased, EmailTaken, GroupHasMembers, InvalidToken, StaffAccountErasure, UsernameTaken
from ..forms import AccountEraseForm, PasswordChangeForm, PasswordConfirmForm, ProfileForm
from ..http import AuthenticatedHttpRequest
from ..limits import data_export_limits, password_confirm_limits
from ..models import User
from ..selectors import event_list, session_list, staff_access_list
from .base import MemberFormView

_FormT = TypeVar("_FormT", bound=BaseForm)


@method_decorator([login_required, never_cache], name="dispatch")
class ProfileView(MemberFormView[ProfileForm]):
    """Everything stored about the member (PV-7); username and email editable."""

    form_class = ProfileForm
    template_name = "accounts/profile.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.member
        context["member"] = user
        context["events"] = event_list(user=user)
        context["sessions"] = list(session_list(user=user))
        context["staff_accesses"] = staff_access_list(member=user)
        context["staff_access_retention_days"] = settings.ACCOUNTS_STAFF_ACCESS_RETENTION_DAYS
        return context

    def form_valid(self, form: ProfileForm) -> HttpResponse:
        user = self.member
        try:
            if form.cleaned_data["username"] != user.username:
                services.username_change(user=user, username=form.cleaned_data["username"], actor=user)
                messages.success(self.request, _("Votre nom d'utilisateur est modifié."))
            new_email = form.cleaned_data["email"]
            if User.normalize_email_key(new_email) != User.normalize_email_key(user.email):
                services.email_change_request(user=user, new_email=new_email, language=get_language() or "fr")
                messages.info(
                    self.request,
                    _(
                        "Un lien de confirmation a été envoyé à %(email)s. Votre adresse changera quand vous l'aurez suivi."
                    )
                    % {"email": new_email},
                )
        except UsernameTaken:
            form.add_error("username", _("Ce nom d'utilisateur est déjà pris."))
            return self.form_invalid(form)
        except EmailTaken:
            form.add_error("email", _("Cette adresse est déjà utilisée par un autre compte."))
            return self.form_invalid(form)
        return redirect("accounts:profile")


@method_decorator([login_required, never_cache], name="dispatch")
class PasswordChangeView(MemberFormView[PasswordChangeForm]):
    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        services.password_change(
            request=self.request,
            user=self.member,
            password=form.cleaned_data["password"],
        )
        messages.success(self.request, _("Votre mot de passe est modifié. Vos autres appareils ont été déconnectés."))
        return redirect("accounts:profile")


@login_required
@never_cache
def email_confirm(request: AuthenticatedHttpRequest, token: str) -> HttpResponse:
    """Show the new address and apply it on POST (a mail scanner's GET changes nothing)."""
    user = request.user
    try:
        new_email = services.email_change_target(user=user, token=token)
    except InvalidToken:
        return render(request, "accounts/email_confirm.html", {"invalid": True}, status=400)
    if request.method == "POST":
        try:
            services.email_change_confirm(
                user=user, token=token, ip=client_ip(request), user_agent=user_agent_of(request)
            )
        except (InvalidToken, EmailTaken):
            return render(request, "accounts/email_confirm.html", {"invalid": True}, status=400)
        messages.success(request, _("Votre adresse e-mail est maintenant %(email)s.") % {"email": new_email})
        return redirect("accounts:profile")
    return render(request, "accounts/email_confirm.html", {"new_email": new_email})


class _PasswordConfirmedView(MemberFormView[_FormT]):
    """A member's page whose form asks for the password again; wrong passwords are throttled."""

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.request.user}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:  # type: ignore[override]  # a streamed file is not an HttpResponse
        self.limits = password_confirm_limits(user_id=request.user.pk)
        if (retry_after := throttle_retry_after(*self.extra_limits())) is not None:
            return throttled(request, retry_after)
        # Counted before the form hashes the password (SC-2); given back unless it was wrong.
        if (retry_after := throttle_take(*self.limits)) is not None:
            return throttled(request, retry_after)
        self.wrong_password = False
        response = super().post(request, *args, **kwargs)
        if not self.wrong_password:
            throttle_refund(*self.limits)
        return response

    def extra_limits(self) -> tuple[Limit, ...]:
        return ()

    def form_invalid(self, form: Any) -> HttpResponse:
        self.wrong_password = "password" in form.errors
        return super().form_invalid(form)


@method_decorator([login_required, never_cache], name="dispatch")
class DataExportView(_PasswordConfirmedView[PasswordConfirmForm]):
    """PV-9: what is held, per app, and the whole of it as one JSON file, self-service."""

    form_class = PasswordConfirmForm
    template_name = "accounts/data.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["sections"] = personal_data.sections()
        context["format"] = personal_data.EXPORT_FORMAT
        context["format_version"] = personal_data.EXPORT_FORMAT_VERSION
        return context

    def extra_limits(self) -> tuple[Limit, ...]:
        return data_export_limits(user_id=self.request.user.pk)

    def form_valid(self, form: PasswordConfirmForm) -> HttpResponseBase:  # type: ignore[override]  # streamed file
        # Counted by the database before the file is built: N downloads, whichever worker serves them (SC-2).
        if (retry_after := throttle_take(*data_export_limits(user_id=self.request.user.pk))) is not None:
            return throttled(self.request, retry_after)
        pieces = services.account_data_export(
            user=self.member,
            ip=client_ip(self.request),
            user_agent=user_agent_of(self.request),
        )
        response = StreamingHttpResponse(pieces, content_type="application/json; charset=utf-8")
        filename = f"cloudmentor-personal-data-{timezone.now():%Y%m%d}.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


@method_decorator([login_required, never_cache], name="dispatch")
class AccountEraseView(_PasswordConfirmedView[AccountEraseForm]):
    """PV-10: what erasure deletes and keeps (and why), then the password and the word."""

    form_class = AccountEraseForm
    template_name = "accounts/erase.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.member
        context["sections"] = personal_data.sections()
        context["notices"] = personal_data.notices_for(user)
        context["is_staff"] = user.is_staff or user.is_superuser
        return context

    def form_valid(self, form: AccountEraseForm) -> HttpResponse:
        user = self.member
        try:
            outcomes = services.account_erase(user=user, actor=user)
        except StaffAccountErasure:
            form.add_error(
                None,
                _(
                    "Un compte de l'équipe ne peut pas être effacé ainsi : demandez à un autre membre de l'équipe "
                    "de retirer vos droits d'équipe, puis recommencez."
                ),
            )
            return self.form_invalid(form)
        except GroupHasMembers:
            form.add_error(
                None,
                _(
                    "Vous êtes propriétaire d'un groupe qui a encore des membres : retirez-les depuis « Mon groupe », "
                    "puis recommencez."
                ),
            )
            return self.form_invalid(form)
        except AlreadyErased:
            return redirect("core:home")
        services.session_end(request=self.request)
        return render(self.request, "accounts/erased.html", {"outcomes": outcomes})
