"""Login, logout and the member's devices (CK-3, CK-7, TM-9)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from cloudmentor.core.http import client_ip, user_agent_of
from cloudmentor.core.throttle import throttle_refund, throttle_retry_after, throttle_take, throttled

from .. import services
from ..exceptions import AccountDisabled, AccountLocked, InvalidCredentials
from ..forms import LoginForm
from ..http import AuthenticatedHttpRequest
from ..limits import login_limits
from ..selectors import session_device_id, session_list
from ..services.sessions import AFTER_LOGOUT_KEY
from ..signals import PasswordLoginRefused
from .base import VisitorFormView, _safe_next


class LoginView(VisitorFormView[LoginForm]):
    form_class = LoginForm
    form_cookie = "login"
    template_name = "accounts/login.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["next"] = _safe_next(self.request, "")
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Checked before any password hashing: a flood costs no Argon2 time (a read, nothing counted).
        self.limits = login_limits(ip=client_ip(request), identifier=request.POST.get("identifier", ""))
        retry_after = throttle_retry_after(*self.limits)
        if retry_after is not None:
            return throttled(request, retry_after)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: LoginForm) -> HttpResponse:
        # The attempt is counted before the password is checked, so that simultaneous guesses
        # on several workers cannot all pass the last free hit (SC-2); a right password gives it back.
        retry_after = throttle_take(*self.limits)
        if retry_after is not None:
            return throttled(self.request, retry_after)
        try:
            user = services.credentials_check(
                identifier=form.cleaned_data["identifier"],
                password=form.cleaned_data["password"],
                ip=client_ip(self.request),
                user_agent=user_agent_of(self.request),
            )
        except InvalidCredentials:
            form.add_error(None, _("Nom d'utilisateur, adresse e-mail ou mot de passe incorrect."))
            return self.form_invalid(form)
        except AccountLocked:
            throttle_refund(*self.limits)
            return render(self.request, "accounts/locked.html", status=403)
        except AccountDisabled:
            throttle_refund(*self.limits)
            return render(self.request, "accounts/disabled.html", status=403)
        except PasswordLoginRefused as error:  # the group requires its company's sign-on (ID-1)
            throttle_refund(*self.limits)
            form.add_error(None, str(error.message))
            return self.form_invalid(form)
        throttle_refund(*self.limits)
        services.session_start(request=self.request, user=user)
        return redirect(_safe_next(self.request, reverse("accounts:profile")))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    """End this device's session (CK-7); other devices stay logged in.

    Then the page the login path chose (single sign-on offers the company's sign-out), or home.
    """
    after = str(request.session.get(AFTER_LOGOUT_KEY, "") or "")
    services.session_end(request=request)
    if after.startswith("/") and url_has_allowed_host_and_scheme(after, allowed_hosts={request.get_host()}):
        return redirect(after)
    return redirect("core:home")


@login_required
@never_cache
def sessions_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The member's devices, each with "log out this device", and "log out everywhere"."""
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "revoke_all":
            services.sessions_revoke_all(user=user, actor=user, reason="log out everywhere")
            services.session_end(request=request)
            return redirect("accounts:login")
        if action == "revoke":
            device_id = request.POST.get("device", "")
            current = session_device_id(session_key=request.session.session_key)
            services.session_revoke(user=user, device_id=device_id)
            if device_id == current:
                services.session_end(request=request)
                return redirect("core:home")
            messages.success(request, _("L'appareil a été déconnecté."))
        return redirect("accounts:sessions")
    sessions = list(session_list(user=user))
    return render(
        request,
        "accounts/sessions.html",
        {
            "sessions": sessions,
            "current_key": request.session.session_key,
            "max_sessions": settings.ACCOUNTS_MAX_SESSIONS,
        },
    )
