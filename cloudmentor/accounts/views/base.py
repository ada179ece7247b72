"""What the accounts pages share: the safe `next` address, the visitors' and the members' form views."""

from __future__ import annotations

from typing import Any, TypeVar, cast

from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.generic import FormView

from cloudmentor.core.formcookies import FormCookieMixin

from ..models import User

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


class MemberFormView(FormView[_FormT]):
    """A form for members: the view is behind `login_required`, so `member` is the logged-in User."""

    @property
    def member(self) -> User:
        # login_required (on dispatch) lets no visitor in: request.user is a User, never anonymous.
        return cast(User, self.request.user)
