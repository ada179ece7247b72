"""Pages of the newsletter: HTTP in, one service or selector call, HTTP out (PV-4)."""

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
from django.views.decorators.http import require_http_methods
from django.views.generic import FormView

from cloudmentor.accounts.http import AuthenticatedHttpRequest
from cloudmentor.core.formcookies import FormCookieMixin
from cloudmentor.core.http import client_ip
from cloudmentor.core.throttle import Limit, throttle_take

from . import selectors, services
from .exceptions import ConfirmationSuperseded, InvalidToken
from .forms import SubscribeForm


def _language() -> str:
    return get_language() or settings.LANGUAGE_CODE


class SubscribeView(FormCookieMixin, FormView[SubscribeForm]):
    """The public form: a visitor asks, the address is subscribed once its owner confirms."""

    form_class = SubscribeForm
    form_cookie = "newsletter"
    template_name = "newsletter/subscribe.html"

    @method_decorator([csrf_exempt, never_cache])
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.user.is_authenticated:
            return redirect("newsletter:account")  # members subscribe from their account
        return super().dispatch(request, *args, **kwargs)

    def form_valid(self, form: SubscribeForm) -> HttpResponse:
        limit = Limit(
            "newsletter-ip", client_ip(self.request) or "?", int(settings.NEWSLETTER_REQUEST_MAX_PER_IP), 3600
        )
        retry_after = throttle_take(limit)  # counted by the database, whichever worker answers (SC-2)
        if retry_after is not None:
            minutes = max(1, (retry_after + 59) // 60)
            form.add_error(
                None,
                _("Trop de demandes depuis votre adresse. Réessayez dans %(minutes)d minutes.") % {"minutes": minutes},
            )
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(retry_after)
            return response
        services.subscription_request(email=form.cleaned_data["email"], language=_language())
        return redirect("newsletter:subscribe_sent")


def subscribe_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/subscribe_sent.html", {"valid_days": settings.NEWSLETTER_CONFIRM_DAYS})


@csrf_exempt  # the token is the proof; visitors have no session (and must not get one)
@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Show a button (mail scanners open links); the POST subscribes the address."""
    if request.method == "GET":
        valid = services.confirm_token_is_valid(token)
        return render(request, "newsletter/confirm.html", {"invalid": not valid}, status=200 if valid else 400)
    try:
        subscriber = services.subscription_confirm(token=token)
    except InvalidToken:
        return render(request, "newsletter/confirm.html", {"invalid": True}, status=400)
    except ConfirmationSuperseded:
        return render(request, "newsletter/confirm.html", {"superseded": True}, status=400)
    return render(request, "newsletter/confirm_done.html", {"subscriber": subscriber})


@csrf_exempt  # the token is the proof; RFC 8058 one-click POSTs come from mail software
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponseBase:
    """GET: a one-button confirmation page (mail scanners prefetch GETs); POST: unsubscribe.

    A POST with ``List-Unsubscribe=One-Click`` is the mail software's one-click unsubscribe
    (RFC 8058); it gets the same page.
    """
    try:
        if request.method == "GET":
            subscriber = services.subscriber_for_unsubscribe_token(token)
            return render(request, "newsletter/unsubscribe.html", {"subscriber": subscriber})
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        subscriber = services.subscriber_unsubscribe_by_token(token=token, one_click=one_click)
    except InvalidToken:
        return render(request, "newsletter/unsubscribe.html", {"invalid": True}, status=400)
    return render(request, "newsletter/unsubscribe_done.html", {"subscriber": subscriber})


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def account_newsletter(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The member's subscription: status, consent record, one button to change it."""
    user = request.user
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "subscribe":
            services.subscriber_subscribe_member(user=user, language=_language())
            messages.success(request, _("Vous êtes abonné à la newsletter."))
        elif action == "unsubscribe":
            services.subscriber_unsubscribe_member(user=user)
            messages.success(request, _("Vous êtes désabonné : vous ne recevrez plus la newsletter."))
        else:
            messages.error(request, _("Action inconnue : rien n'a changé."))
        return redirect("newsletter:account")
    subscriber = selectors.subscriber_for_user(user=user)
    context = {
        "subscriber": subscriber,
        "events": list(selectors.consent_list(subscriber=subscriber)) if subscriber else [],
    }
    return render(request, "newsletter/account.html", context)
