"""The registration page (CK-5, PV-2, TM-1); it never says whether an address has an account (TR-7)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from .. import services
from ..exceptions import EmailTaken, UsernameTaken
from ..forms import RegistrationForm
from ..registration import registration_arguments, registration_throttled
from .base import VisitorFormView, _safe_next


class RegisterView(VisitorFormView[RegistrationForm]):
    form_class = RegistrationForm
    form_cookie = "register"
    template_name = "accounts/register.html"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return registration_throttled(request) or super().post(request, *args, **kwargs)

    def form_valid(self, form: RegistrationForm) -> HttpResponse:
        try:
            user = services.user_register(**registration_arguments(self.request, form.cleaned_data))
        except EmailTaken:
            # The address's owner is told by email; the page says what it says to anyone (decision 0106).
            services.registration_attempt_notify(email=form.cleaned_data["email"])
            return redirect("accounts:register_sent")
        except UsernameTaken:
            form.add_error("username", _("Ce nom d'utilisateur est déjà pris."))
            return self.form_invalid(form)
        services.session_start(request=self.request, user=user)
        messages.success(
            self.request,
            _("Bienvenue %(username)s ! Votre compte est créé et vous êtes connecté.") % {"username": user.username},
        )
        # A group invitation link sends visitors here with ?next=<the link> (PV-1).
        return redirect(_safe_next(self.request, reverse("accounts:profile")))


def register_sent(request: HttpRequest) -> HttpResponse:
    """« Vérifiez votre boîte » after a registration with an address that has an account (TR-7)."""
    return render(request, "accounts/register_sent.html")
