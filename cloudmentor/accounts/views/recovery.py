"""Getting an account back: the emailed reset link (CK-6) and the report of unauthorized use (PV-14)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import FormView

from cloudmentor.core.formcookies import FormCookieMixin
from cloudmentor.core.http import client_ip, user_agent_of
from cloudmentor.core.throttle import throttle_request, throttle_retry_after, throttle_take, throttled

from .. import services
from ..forms import NewPasswordForm, PasswordForgotForm
from ..http import AuthenticatedHttpRequest
from ..limits import recovery_account_limits, recovery_ip_limits
from ..selectors import user_by_email
from ..signals import PasswordLoginRefused, password_login_checked
from ..tokens import password_reset_user
from .base import VisitorFormView


class PasswordForgotView(VisitorFormView[PasswordForgotForm]):
    form_class = PasswordForgotForm
    form_cookie = "recover"
    template_name = "accounts/password_forgot.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # A logged-in member may ask for a link too (e.g. to set a forgotten password).
        return FormCookieMixin.get(self, request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return throttle_request(request, *recovery_ip_limits(ip=client_ip(request))) or super().post(
            request, *args, **kwargs
        )

    def form_valid(self, form: PasswordForgotForm) -> HttpResponse:
        email = form.cleaned_data["email"]
        per_address = recovery_account_limits(email=email)
        # The answer is the same whether the address exists or has had too many links.
        if throttle_take(*per_address) is None:
            services.password_recovery_request(user=user_by_email(email), language=get_language() or "fr")
        return redirect("accounts:password_forgot_sent")


def password_forgot_sent(request: HttpRequest) -> HttpResponse:
    return render(
        request, "accounts/password_forgot_sent.html", {"valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
    )


class PasswordResetView(FormCookieMixin, FormView[NewPasswordForm]):
    form_class = NewPasswordForm
    form_cookie = "reset"
    template_name = "accounts/password_reset.html"

    # The form cookie (SameSite=Strict, matched by the page) is this visitor form's CSRF
    # protection, as for every FormCookieMixin view: the override must keep the exemption.
    @method_decorator(csrf_exempt)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.reset_user = password_reset_user(kwargs["token"])
        if self.reset_user is None:
            response: HttpResponse = never_cache(_invalid_link)(request)
            return response
        return super().dispatch(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        limits = recovery_ip_limits(ip=client_ip(request))
        retry_after = throttle_retry_after(*limits)
        if retry_after is not None:
            return throttled(request, retry_after)
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "user": self.reset_user}

    def form_cookie_form_kwargs(self) -> dict[str, Any]:
        return {"user": self.reset_user}

    def form_valid(self, form: NewPasswordForm) -> HttpResponse:
        user = self.reset_user
        assert user is not None
        services.password_reset_complete(
            user=user,
            password=form.cleaned_data["password"],
            ip=client_ip(self.request),
            user_agent=user_agent_of(self.request),
        )
        if not user.is_active:
            return render(self.request, "accounts/disabled.html", status=403)
        try:  # a group that requires its company's sign-on: the password is set, no session opens (ID-1)
            password_login_checked.send(sender=type(user), user=user)
        except PasswordLoginRefused as error:
            messages.warning(self.request, str(error.message))
            return redirect("accounts:login")
        # The reset's own email already says from where: no second one for a new device.
        services.session_start(request=self.request, user=user, new_device_notice=False)
        messages.success(self.request, _("Votre nouveau mot de passe est enregistré. Vous êtes connecté."))
        return redirect("accounts:profile")


def _invalid_link(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_reset_invalid.html", status=400)


@login_required
@never_cache
def report_unauthorized_use(request: AuthenticatedHttpRequest) -> HttpResponse:
    """PV-14: one button ends every session, requires a new password and alerts staff."""
    if request.method == "POST":
        services.unauthorized_use_report(user=request.user, ip=client_ip(request))
        services.session_end(request=request)
        return redirect("accounts:unauthorized_use_reported")
    return render(request, "accounts/report_unauthorized_use.html")


def unauthorized_use_reported(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/unauthorized_use_reported.html")
