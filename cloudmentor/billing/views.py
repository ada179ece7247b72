"""Pages of the billing app: HTTP in, one service or selector call, HTTP out."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.exceptions import AccountDisabled as AccountDisabledLogin
from cloudmentor.accounts.exceptions import EmailTaken, InvalidCredentials, UsernameTaken
from cloudmentor.accounts.http import AuthenticatedHttpRequest
from cloudmentor.accounts.models import StaffAccess, User
from cloudmentor.accounts.registration import login_limits, registration_arguments, registration_throttled
from cloudmentor.accounts.selectors import group_membership_of
from cloudmentor.accounts.signals import PasswordLoginRefused
from cloudmentor.core.formcookies import FormCookieMixin
from cloudmentor.core.http import client_ip, user_agent_of
from cloudmentor.core.throttle import throttle_refund, throttle_take, throttled

from . import selectors, services
from .exceptions import (
    AccountDisabled,
    DemoProviderRefused,
    GroupTooLargeForPlan,
    InvoiceNotPayable,
    NotTheGroupOwner,
    PaymentProviderError,
    PlanNotAvailable,
    WebhookRejected,
)
from .forms import BillingDetailsForm, ExtendForm, GroupOrderForm, SubscribeForm
from .models import Invoice, Plan, Subscription
from .orders import consent_text, order_summary


def plans(request: HttpRequest) -> HttpResponse:
    """What each plan costs, lasts and includes (TM-3); public, sets no cookie."""
    on_sale = list(selectors.plan_list_purchasable())
    material = selectors.plan_material_by_level()
    for plan in on_sale:
        plan.material = material.get(plan.access_level)  # type: ignore[attr-defined]  # for the template, not a field
    return render(
        request,
        "billing/plans.html",
        {
            "individual_plans": [plan for plan in on_sale if plan.kind == Plan.Kind.INDIVIDUAL],
            "group_plans": [plan for plan in on_sale if plan.kind == Plan.Kind.GROUP],
        },
    )


def _disabled(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/disabled.html", status=403)


def _plan_or_404(slug: str) -> Plan:
    plan = selectors.plan_list_for_members().filter(slug=slug).first()
    if plan is None:
        raise Http404
    return plan


class SubscribeView(FormCookieMixin, FormView[SubscribeForm]):
    """Registration with a plan (TM-6), which extends the account when the email is one's (TM-8).

    It is the registration form with a plan: it uses the registration form cookie (CK-5).
    A logged-in member sees a one-button extension of their own account instead.
    """

    form_class = SubscribeForm
    form_cookie = "register"
    template_name = "billing/subscribe.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        plan = _plan_or_404(kwargs["slug"])
        if request.user.is_authenticated:
            user: User = request.user
            return render(
                request,
                "billing/extend.html",
                {
                    "plan": plan,
                    "form": ExtendForm(initial={"plan": plan.slug}),
                    "summary": order_summary(plan=plan, validity_end=selectors.validity_end(user=user)),
                    "validity_end": selectors.validity_end(user=user),
                    "now": timezone.now(),
                },
            )
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        _plan_or_404(kwargs["slug"])
        return registration_throttled(request) or super().post(request, *args, **kwargs)

    def get_initial(self) -> dict[str, Any]:
        return {"plan": self.kwargs["slug"]}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["plan"] = _plan_or_404(self.kwargs["slug"])
        context["summary"] = order_summary(plan=context["plan"], validity_end=None)  # a new account (BZ-2)
        return context

    def form_valid(self, form: SubscribeForm) -> HttpResponse:
        if form.extension_of is not None:
            return self._extend(form)
        data = form.cleaned_data
        try:
            user, subscription = services.member_register_with_plan(
                plan=data["plan"], **registration_arguments(self.request, data), consent=_consent(self.request)
            )
        except EmailTaken:  # created an instant ago by another request: as for any known address (TR-7)
            accounts_services.registration_attempt_notify(email=data["email"], plan_slug=data["plan"].slug)
            return redirect("accounts:register_sent")
        except UsernameTaken:
            form.add_error("username", _("Ce nom d'utilisateur est déjà pris."))
            return self.form_invalid(form)
        except PlanNotAvailable:
            form.add_error("plan", _("Cette offre n'est plus en vente."))
            return self.form_invalid(form)
        accounts_services.session_start(request=self.request, user=user)
        messages.success(
            self.request,
            _("Bienvenue %(username)s ! Votre compte est créé et utilisable dès maintenant, jusqu'au %(end)s.")
            % {"username": user.username, "end": _date(subscription.ends_at)},
        )
        return redirect("billing:account")

    def _extend(self, form: SubscribeForm) -> HttpResponse:
        data = form.cleaned_data
        ip = client_ip(self.request)
        # Counted before any password hashing, as on the login form (TM-9, SC-2); a right one gives it back.
        limits = login_limits(ip=ip, identifier=data["email"])
        retry_after = throttle_take(*limits)
        if retry_after is not None:
            return throttled(self.request, retry_after)
        try:
            user, subscription = services.subscription_extend_with_password(
                plan=data["plan"],
                email=data["email"],
                password=data["password"],
                ip=ip,
                user_agent=user_agent_of(self.request),
                consent=_consent(self.request),
            )
        except InvalidCredentials:
            # Never "this address has an account" (TR-7, decision 0106): what a new address would get,
            # and the address's owner is told by email how to extend.
            if form.refuse_as_new_account():
                return self.form_invalid(form)
            accounts_services.registration_attempt_notify(email=data["email"], plan_slug=data["plan"].slug)
            return redirect("accounts:register_sent")
        except (AccountDisabledLogin, AccountDisabled):
            throttle_refund(*limits)
            return _disabled(self.request)
        except PasswordLoginRefused as error:  # the group requires its company's sign-on (ID-1): nothing bought
            throttle_refund(*limits)
            form.add_error(None, str(error.message))
            return self.form_invalid(form)
        except PlanNotAvailable:
            throttle_refund(*limits)
            form.add_error("plan", _("Cette offre n'est plus en vente."))
            return self.form_invalid(form)
        throttle_refund(*limits)
        accounts_services.session_start(request=self.request, user=user)
        messages.success(self.request, _extended_message(subscription))
        return redirect("billing:account")


@login_required
@never_cache
def group_subscribe(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    """The owner buys (or extends) a group plan for their group, created if needed (PV-1, TM-2, TM-8)."""
    plan = selectors.plan_list_purchasable().filter(slug=slug, kind=Plan.Kind.GROUP).first()
    if plan is None:
        raise Http404
    user = request.user
    membership = group_membership_of(user=user)
    if membership is not None and membership.group.owner_id != user.pk:
        return _group_refused(request, NotTheGroupOwner())
    form = GroupOrderForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            order = services.order_group(
                owner=user,
                plan=plan,
                group_name=form.cleaned_data["group_name"],
                consent=services.Consent(order_key=form.cleaned_data["order_key"], language=_language(request)),
            )
        except AccountDisabled:
            return _disabled(request)
        except (NotTheGroupOwner, GroupTooLargeForPlan, PlanNotAvailable) as error:
            return _group_refused(request, error, status=400)
        subscription = order.subscription
        if order.created:
            messages.success(
                request,
                _("Votre groupe a l'offre %(plan)s du %(start)s au %(end)s. Invitez ses membres.")
                % {
                    "plan": plan.display_name,
                    "start": _date(subscription.starts_at),
                    "end": _date(subscription.ends_at),
                },
            )
        return redirect("accounts:group")
    validity_end = selectors.group_validity_end(user=user)
    return render(
        request,
        "billing/group_subscribe.html",
        {
            "plan": plan,
            "form": form,
            "summary": order_summary(plan=plan, validity_end=validity_end),
            "group": membership.group if membership is not None else None,
            "validity_end": validity_end,
            "now": timezone.now(),
        },
        status=400 if form.is_bound else 200,
    )


def _group_refused(request: HttpRequest, error: Exception, status: int = 403) -> HttpResponse:
    messages_by_error: dict[type[Exception], str] = {
        NotTheGroupOwner: _("Seul le propriétaire du groupe choisit ou prolonge son offre."),
        GroupTooLargeForPlan: _(
            "Votre groupe compte plus de membres (vous compris) que cette offre n'a de places : "
            "choisissez une offre avec plus de places, ou retirez des membres."
        ),
        PlanNotAvailable: _("Cette offre n'est plus en vente."),
    }
    message = messages_by_error.get(type(error), messages_by_error[PlanNotAvailable])
    return render(request, "billing/group_refused.html", {"message": message}, status=status)


def _date(moment: Any) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT")


def _extended_message(subscription: Subscription) -> str:
    return _("Votre compte est prolongé : la nouvelle période va du %(start)s au %(end)s.") % {
        "start": _date(subscription.starts_at),
        "end": _date(subscription.ends_at),
    }


@login_required
@require_POST
def extend(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A logged-in member orders a period for their own account from its summary, consent given (TM-8, BZ-2).

    Without the consent box, the summary comes back with the reason and nothing is written;
    the same summary sent twice shows the one order it placed.
    """
    form = ExtendForm(request.POST)
    if not form.is_valid():
        plan = form.cleaned_data.get("plan")
        if plan is None:
            messages.error(request, _("Cette offre n'est plus en vente."))
            return redirect("billing:plans")
        validity_end = selectors.validity_end(user=request.user)
        context = {"plan": plan, "form": form, "summary": order_summary(plan=plan, validity_end=validity_end)}
        return render(request, "billing/extend.html", context, status=400)
    try:
        order = services.order_extend(
            holder=request.user,
            plan=form.cleaned_data["plan"],
            consent=services.Consent(order_key=form.cleaned_data["order_key"], language=_language(request)),
        )
    except AccountDisabled:
        return _disabled(request)
    except PlanNotAvailable:
        messages.error(request, _("Cette offre n'est plus en vente."))
        return redirect("billing:plans")
    if order.created:
        messages.success(request, _extended_message(order.subscription))
    return redirect("billing:order", order_key=order.consent.order_key)


def _language(request: HttpRequest) -> str:
    return get_language() or settings.LANGUAGE_CODE


def _consent(request: HttpRequest) -> services.Consent:
    """The consent of a form whose consent box is required and was ticked, under a fresh order key."""
    return services.Consent(order_key=uuid.uuid4(), language=_language(request))


@login_required
@never_cache
def order_detail(request: AuthenticatedHttpRequest, order_key: uuid.UUID) -> HttpResponse:
    """An order as placed: what was bought, when the invoice comes, the consent recorded (BZ-2)."""
    order = services.order_find(order_key=order_key)
    if order is None or not order.subscription.customer.is_held_by(request.user):
        raise Http404
    return render(
        request,
        "billing/order.html",
        {
            "subscription": order.subscription,
            "consent": order.consent,
            "consent_text": consent_text(order.consent.language),
        },
    )


@login_required
@never_cache
def account(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The member's billing page: validity, periods, invoices to pay or download, buyer details."""
    user = request.user
    customer = selectors.customer_of_user(user=user)
    if request.method == "POST":
        form = BillingDetailsForm(request.POST)
        if form.is_valid():
            services.customer_details_update(
                customer=customer or services.customer_for_user(user=user), **form.cleaned_data
            )
            messages.success(
                request, _("Vos coordonnées de facturation sont enregistrées pour les prochaines factures.")
            )
            return redirect("billing:account")
    else:
        initial = (
            {"billing_name": customer.billing_name, "billing_address": customer.billing_address} if customer else {}
        )
        form = BillingDetailsForm(initial=initial)
    subscriptions = list(selectors.subscription_list(user=user))
    # The group's periods describe the page too (item 6 of issue 13): the owner holds them (they
    # are in the list), a member enjoys them; either way the page names the group and its end.
    membership = group_membership_of(user=user)
    group = membership.group if membership is not None else None
    group_ends = [period.ends_at for period in subscriptions if period.customer.group_id is not None]
    if group is not None and group.owner_id != user.pk:
        group_validity_end = selectors.group_validity_end(user=user)
    else:
        group_validity_end = max(group_ends, default=None)
    return render(
        request,
        "billing/account.html",
        {
            "member": user,
            "access_level": selectors.user_access_level(user=user),
            "validity_end": selectors.validity_end(user=user),
            "group": group,
            "is_group_owner": group is not None and group.owner_id == user.pk,
            "group_validity_end": group_validity_end,
            "subscriptions": subscriptions,
            "invoices": list(selectors.invoice_list(user=user)),
            "form": form,
            "now": timezone.now(),
        },
    )


def _invoice_for(
    request: AuthenticatedHttpRequest, invoice_id: int, *, kind: str = StaffAccess.Kind.INVOICE
) -> Invoice:
    try:
        invoice = selectors.access_invoice(viewer=request.user, invoice_id=invoice_id)
    except Invoice.DoesNotExist as error:
        raise Http404 from error
    if not invoice.customer.is_held_by(request.user):
        # A staff member reading someone's invoice: the member will see it (TR-2).
        contact = invoice.customer.contact
        if contact is not None:
            accounts_services.record_staff_access(
                staff=request.user, member=contact.pk, kind=kind, reference=invoice.number or ""
            )
    return invoice


@login_required
@never_cache
def invoice_detail(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    """One invoice, and the ways to pay it from inside the account area (TM-6)."""
    invoice = _invoice_for(request, invoice_id)
    stripe_enabled = services.card_payment_is_enabled()
    response = render(
        request,
        "billing/invoice.html",
        {
            "invoice": invoice,
            "is_owner": invoice.customer.is_held_by(request.user),
            "stripe_enabled": stripe_enabled,
            "demo_payments": stripe_enabled and services.card_payment_is_demo(),
            "bank_transfer": bool(invoice.seller.get("iban")),
            "payments": list(invoice.payments.all()),
        },
    )
    form_action = services.card_payment_form_action()
    if stripe_enabled and invoice.is_payable and form_action:
        # The "pay by card" form is answered with a redirect to the provider's page: the page's
        # form-action must allow it (django-csp merges this into the policy).
        response._csp_update = {"form-action": [form_action]}  # type: ignore[attr-defined]  # django-csp reads this attribute off the response
    return response


@login_required
@never_cache
def invoice_pdf(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    """The invoice's PDF, as rendered once when it was issued."""
    invoice = _invoice_for(request, invoice_id, kind=StaffAccess.Kind.INVOICE_PDF)
    document = services.invoice_pdf_render(invoice_id=invoice.pk)
    if document is None:
        raise Http404
    response = HttpResponse(bytes(document.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{invoice.number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def invoice_checkout(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    """Send the member to Stripe Checkout for this invoice (card details never reach us)."""
    invoice = _invoice_for(request, invoice_id)
    if not invoice.customer.is_held_by(request.user) or not services.card_payment_is_enabled():
        raise PermissionDenied
    invoice_url = request.build_absolute_uri(reverse("billing:invoice", kwargs={"invoice_id": invoice.pk}))
    return_url = request.build_absolute_uri(reverse("billing:checkout_return", kwargs={"invoice_id": invoice.pk}))
    try:
        url = services.invoice_checkout_start(
            invoice=invoice,
            success_url=f"{return_url}?session_id={{CHECKOUT_SESSION_ID}}",
            cancel_url=invoice_url,
        )
    except InvoiceNotPayable:
        messages.info(request, _("Cette facture n'est plus à payer."))
        return redirect("billing:invoice", invoice_id=invoice.pk)
    except PaymentProviderError:
        messages.error(
            request, _("Le paiement par carte est momentanément indisponible. Réessayez dans quelques minutes.")
        )
        return redirect("billing:invoice", invoice_id=invoice.pk)
    return HttpResponseRedirect(url, status=303)


@login_required
@never_cache
def checkout_return(request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
    """Where Stripe sends the member back: confirm the payment now if the webhook has not yet."""
    invoice = _invoice_for(request, invoice_id)
    session_id = request.GET.get("session_id", "")
    payment = None
    if session_id and invoice.customer.is_held_by(request.user):
        try:
            payment = services.stripe_checkout_return(invoice=invoice, session_id=session_id)
        except PaymentProviderError:
            payment = None
    invoice.refresh_from_db()
    if invoice.status == Invoice.Status.PAID:
        messages.success(
            request, _("Merci ! Le paiement de la facture %(number)s est reçu.") % {"number": invoice.number}
        )
    elif payment is None:
        messages.info(request, _("Votre paiement est en cours de confirmation : rechargez cette page dans un instant."))
    else:
        messages.error(request, _("Ce paiement n'a pas pu être accepté. L'équipe est prévenue et vous contactera."))
    return redirect("billing:invoice", invoice_id=invoice.pk)


@login_required
@never_cache
def history(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The registration history of the account (PV-3)."""
    user = request.user
    return render(request, "billing/history.html", {"rows": selectors.history_for_user(user=user), "member": user})


@csrf_exempt  # no session for visitors (donations): the unguessable session id is the capability, as on Stripe's page
@never_cache
def demo_checkout(request: HttpRequest, session_id: str) -> HttpResponse:
    """The demo provider's payment page (BZ-1, outside production): pay, card declined, abandon.

    Like Stripe's hosted page, it needs no login: the session id is the secret. "Pay" goes
    through the signed-webhook service, then to the session's success address.
    """
    try:
        session = services.demo_checkout_get(session_id=session_id)
    except DemoProviderRefused as error:
        raise Http404 from error
    if session is None:
        raise Http404
    declined = False
    if request.method == "POST":
        action = request.POST.get("action", "")
        if session.status == session.Status.OPEN and action == "pay":
            return HttpResponseRedirect(services.demo_checkout_pay(session_id=session.pk), status=303)
        if session.status == session.Status.OPEN and action == "decline":
            services.demo_checkout_decline(session_id=session.pk)
            declined = True
        elif session.status == session.Status.OPEN and action == "abandon":
            return HttpResponseRedirect(services.demo_checkout_abandon(session_id=session.pk), status=303)
        elif session.status == session.Status.COMPLETE:
            return HttpResponseRedirect(session.success_url.replace("{CHECKOUT_SESSION_ID}", session.pk), status=303)
    return render(request, "billing/demo_checkout.html", {"session": session, "declined": declined})


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's signed notifications; a completed Checkout Session pays its invoice once."""
    try:
        kind = services.stripe_webhook_handle(
            payload=request.body, signature=request.META.get("HTTP_STRIPE_SIGNATURE", "")
        )
    except WebhookRejected:
        return JsonResponse({"error": "invalid signature"}, status=400)
    return JsonResponse({"received": True, "type": kind})
