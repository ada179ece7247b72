"""The staff site at /staff/: Django's admin behind the site's login and a TOTP code."""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def staff_is_verified(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_active and user.is_staff and getattr(user, "is_verified", lambda: False)())


class StaffAdminSite(AdminSite):
    """Staff enter with their password on the site's login page, then a TOTP code."""

    def has_permission(self, request: HttpRequest) -> bool:
        return staff_is_verified(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:index", current_app=self.name)
        user: Any = request.user
        if user.is_authenticated and user.is_active and user.is_staff:
            if staff_is_verified(request):
                return redirect(next_url)
            return redirect_to_login(next_url, reverse("accounts:staff_verify"))
        return redirect_to_login(next_url, reverse("accounts:login"))
