"""Pages of donations (TM-10): give, come back from the payment page (Stripe's, or the demo provider's), see one's donations."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.generic import FormView

from cloudmentor.accounts.http import AuthenticatedHttpRequest
from cloudmentor.accounts.models import User
from cloudmentor.billing.exceptions import PaymentProviderError
from cloudmentor.billing.services import card_payment_form_action, card_payment_is_demo, card_payment_is_enabled
from cloudmentor.core.formcookies import FormCookieMixin
from cloudmentor.core.http import client_ip
from cloudmentor.core.throttle import Limit, throttle_request

from . import selectors, services
from .forms import DonationForm
from .models import Donation, DonationPayment


def donate_limits(*, ip: str) -> tuple[Limit]:
    """Donation forms sent from one address (each one opens a Stripe session, TM-9)."""
    return (
        Limit(
            "donate-ip",
            ip,
            int(settings.DONATIONS_MAX_PER_IP),
            int(settings.DONATIONS_WINDOW_SECONDS),
        ),
    )


_PLACEHOLDER = UUID(int=0)


def _return_url(request: HttpRequest, name: str) -> str:
    """Absolute address of a return page, ``{public_id}`` standing for the donation (not created yet)."""
    url = request.build_absolute_uri(reverse(name, kwargs={"public_id": _PLACEHOLDER}))
    return url.replace(str(_PLACEHOLDER), "{public_id}")


class _DonateBase(FormView[DonationForm]):
    form_class = DonationForm
    template_name = "donations/donate.html"
    request: HttpRequest

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["stripe_enabled"] = card_payment_is_enabled()
        context["demo_payments"] = context["stripe_enabled"] and card_payment_is_demo()
        context["currency"] = services.donation_currency()
        return context

    def render_to_response(self, context: dict[str, Any], **kwargs: Any) -> HttpResponse:
        response: HttpResponse = super().render_to_response(context, **kwargs)
        form_action = card_payment_form_action()
        if form_action:
            # The form is answered with a redirect to the provider's page: form-action must allow it.
            response._csp_update = {"form-action": [form_action]}  # type: ignore[attr-defined]  # django-csp reads this attribute off the response
        return response

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = throttle_request(request, *donate_limits(ip=client_ip(request)))
        if refused is not None:
            return refused
        response: HttpResponse = super().post(request, *args, **kwargs)
        return response

    def form_valid(self, form: DonationForm) -> HttpResponse:
        if not card_payment_is_enabled():
            form.add_error(None, _("Les dons en ligne sont momentanément indisponibles."))
            return self.form_invalid(form)
        data = form.cleaned_data
        user: User | None = self.request.user if self.request.user.is_authenticated else None
        language = get_language() or settings.LANGUAGE_CODE
        thanks, cancelled = (
            _return_url(self.request, "donations:thanks"),
            _return_url(self.request, "donations:cancelled"),
        )
        try:
            _donation, url = services.donation_start(
                amount=data["amount"],
                name=data.get("name", ""),
                email=data.get("email", ""),
                user=user,
                language=language,
                success_url=f"{thanks}?session_id={{CHECKOUT_SESSION_ID}}",
                cancel_url=cancelled,
                description=_("Don à %(name)s") % {"name": settings.BILLING_SELLER_NAME},
            )
        except PaymentProviderError:
            form.add_error(
                None, _("Le paiement par carte est momentanément indisponible. Réessayez dans quelques minutes.")
            )
            return self.form_invalid(form)
        return HttpResponseRedirect(url, status=303)


class VisitorDonateView(FormCookieMixin, _DonateBase):
    """A visitor gives: the form cookie is the page's CSRF protection (CK-2)."""

    form_cookie = "donate"


@method_decorator([csrf_protect, never_cache], name="dispatch")
class MemberDonateView(_DonateBase):
    """A member gives: session CSRF, name and receipt address prefilled from the account."""

    def get_initial(self) -> dict[str, Any]:
        user = cast(User, self.request.user)  # only `donate` sends here, and only members
        return {"name": user.get_full_name() or user.username, "email": user.email}


_visitor_view = VisitorDonateView.as_view()
_member_view = MemberDonateView.as_view()


@csrf_exempt  # visitors: the form cookie; members: csrf_protect on MemberDonateView
def donate(request: HttpRequest) -> HttpResponseBase:
    """Give an amount through Stripe Checkout: visitors, free users and subscribers alike (TM-10)."""
    if request.user.is_authenticated:
        return _member_view(request)
    return _visitor_view(request)


def _donation_or_404(public_id: UUID) -> Donation:
    donation = selectors.donation_by_public_id(public_id=public_id)
    if donation is None:
        raise Http404
    return donation


@never_cache
def thanks(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Where Stripe sends the donor back: confirm the payment now if the webhook has not yet."""
    donation = _donation_or_404(public_id)
    session_id = request.GET.get("session_id", "")
    payment: DonationPayment | None = None
    if session_id and donation.status != Donation.Status.PAID:
        try:
            payment = services.donation_checkout_return(donation=donation, session_id=session_id)
        except PaymentProviderError:
            payment = None
        donation.refresh_from_db()
    refused = payment is not None and payment.status == DonationPayment.Status.REJECTED
    return render(request, "donations/thanks.html", {"donation": donation, "refused": refused})


@never_cache
def cancelled(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The donor left Stripe's page: nothing was taken."""
    donation = _donation_or_404(public_id)
    if donation.status == Donation.Status.PAID:
        return redirect("donations:thanks", public_id=donation.public_id)
    return render(request, "donations/cancelled.html", {"donation": donation})


@login_required
@never_cache
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The member's donations: reference, date, amount, state (PV-7)."""
    user = request.user
    return render(
        request,
        "donations/account.html",
        {"donations": list(selectors.donation_list_for_user(user=user)), "member": user},
    )
