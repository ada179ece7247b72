"""What the accounts pages share: the safe `next` address, the visitors' form view."""

from __future__ import annotations

from typing import Any, TypeVar

from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import FormView

from cloudmentor.core.formcookies import FormCookieMixin

_FormT = TypeVar("_FormT", bound=BaseForm)


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


class VisitorFormView(FormCookieMixin, FormView[_FormT]):
    """A form for visitors: a member who is already logged in goes to their account."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect("accounts:profile")
        return super().get(request, *args, **kwargs)
