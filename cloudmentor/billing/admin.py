"""Staff views of billing at /staff/: plans, customers, subscriptions, invoices, payments, history.

Every action calls a service: grant free access (TM-4), move a subscription to a longer
plan (TM-8), record a (late) payment and re-enable (TM-6), void an unpaid invoice.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cloudmentor.accounts import roles
from cloudmentor.accounts.http import AuthenticatedHttpRequest
from cloudmentor.accounts.models import StaffAccess
from cloudmentor.accounts.services import record_staff_access
from cloudmentor.core.admin import ReadOnlyAdminMixin

from . import services
from .exceptions import ChangeNotAllowed, InvoiceNotPayable
from .forms import ChangeDurationForm, GrantForm, RecordPaymentForm, VoidForm
from .models import BillingEvent, CreditNote, Customer, Invoice, Payment, Plan, Subscription
from .selectors import dunning_timeline, history_for_user


def _action_page(
    model_admin: admin.ModelAdmin[Any],
    request: HttpRequest,
    *,
    title: Any,
    form: Form,
    subject: Any = None,
    intro: Any = "",
) -> HttpResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "subject": subject,
        "intro": intro,
        "opts": model_admin.model._meta,
    }
    return render(request, "admin/billing/action_form.html", context)


def _require(request: HttpRequest, permission: str) -> None:
    """A custom staff page needs its role's permission, as the model pages do (TR-1)."""
    if not roles.user_has_staff_capability(request.user, permission):
        raise PermissionDenied


def _customer_member_id(customer: Customer) -> int | None:
    """The member whose data a customer is: the member, or a group's owner (the subscriber, TM-2)."""
    if customer.user_id:
        return int(customer.user_id)
    contact = customer.contact
    return contact.pk if contact is not None else None


VAT_NUMBER = _("N° TVA")  # as on the PDF


def party_block(party: dict[str, Any]) -> str:
    """Show the seller or buyer recorded on an invoice as on its PDF: one line each, escaped (BZ-5)."""
    if not party:
        return str(_("Fixé à l'émission de la facture"))
    lines = [
        party.get("name"),
        *str(party.get("address") or "").splitlines(),
        f"SIRET {party['siret']}" if party.get("siret") else "",
        f"{VAT_NUMBER} {party['vat_number']}" if party.get("vat_number") else "",
        party.get("email"),
        f"IBAN {party['iban']}" + (f" — BIC {party['bic']}" if party.get("bic") else "") if party.get("iban") else "",
    ]
    kept = [line for line in lines if line]
    return format_html("<br>".join(["{}"] * len(kept)), *kept) if kept else "—"


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin[Plan]):
    list_display = (
        "name",
        "slug",
        "kind",
        "seats",
        "duration_months",
        "price",
        "currency",
        "access_level",
        "is_purchasable",
        "position",
    )
    list_filter = ("kind", "is_purchasable", "access_level")
    list_editable = ("is_purchasable", "position")
    search_fields = ("name", "name_en", "slug")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "name_en", "slug", "kind", "seats", "position", "is_purchasable")}),
        (_("Prix et durée"), {"fields": ("duration_months", "price", "currency", "access_level")}),
        (_("Description"), {"fields": ("description", "description_en")}),
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A plan that was sold stays (PROTECT); taking it off sale is `is_purchasable`.
        return obj is None or not obj.subscriptions.exists()


class SubscriptionInline(ReadOnlyAdminMixin, admin.TabularInline[Subscription, Customer]):
    model = Subscription
    fk_name = "customer"
    extra = 0
    fields = ("plan", "access_level", "starts_at", "ends_at", "price", "currency", "source", "created_by")
    readonly_fields = fields
    ordering = ("-starts_at",)
    show_change_link = True


class InvoiceInline(ReadOnlyAdminMixin, admin.TabularInline[Invoice, Customer]):
    model = Invoice
    extra = 0
    fields = ("number", "status", "scheduled_at", "issued_at", "due_at", "amount_total", "currency", "paid_at")
    readonly_fields = fields
    ordering = ("-created_at",)
    show_change_link = True


class BillingEventInline(ReadOnlyAdminMixin, admin.TabularInline[BillingEvent, Customer]):
    model = BillingEvent
    extra = 0
    fields = ("created_at", "kind", "subscription", "invoice", "actor", "detail")
    readonly_fields = fields
    ordering = ("-created_at",)
    verbose_name_plural = _("historique de facturation")


@admin.register(Customer)
class CustomerAdmin(roles.StaffAccessAuditMixin, admin.ModelAdmin[Customer]):
    audit_kind = StaffAccess.Kind.BILLING

    list_display = ("__str__", "kind", "billing_name", "created_at", "history_link", "dunning_link")
    list_filter = ("kind",)
    search_fields = ("user__username", "user__email", "billing_name", "group__name", "group__owner__username")
    list_select_related = ("user", "group")
    fields = ("kind", "user", "group", "billing_name", "billing_address", "created_at")
    readonly_fields = ("kind", "user", "group", "created_at")
    inlines = (SubscriptionInline, InvoiceInline, BillingEventInline)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def audit_member_id(self, obj: Customer) -> int | None:
        return _customer_member_id(obj)

    @admin.display(description=_("historique d'inscription"))
    def history_link(self, obj: Customer) -> str:
        url = reverse("admin:billing_customer_history", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("voir"))

    @admin.display(description=_("relances et échéances"))
    def dunning_link(self, obj: Customer) -> str:
        url = reverse("admin:billing_customer_dunning", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("voir"))

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "<int:customer_id>/dunning/",
                self.admin_site.admin_view(self.dunning_timeline_view),
                name="billing_customer_dunning",
            ),
            path(
                "<int:customer_id>/history/",
                self.admin_site.admin_view(self.registration_history_view),
                name="billing_customer_history",
            ),
        ]
        return extra + super().get_urls()

    def dunning_timeline_view(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        """Read-only: an account's invoices, reminders, deadlines, disabling, payments, re-enabling (BZ-4)."""
        _require(request, "billing.view_customer")
        customer = get_object_or_404(Customer.objects.select_related("user", "group__owner"), pk=customer_id)
        if (member_id := _customer_member_id(customer)) is not None:
            record_staff_access(
                staff=request.user, member=member_id, kind=StaffAccess.Kind.BILLING, reference="dunning"
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Relances et échéances de %(member)s") % {"member": customer},
            "rows": dunning_timeline(customer=customer),
            "customer": customer,
            "opts": self.model._meta,
        }
        return render(request, "admin/billing/dunning.html", context)

    def registration_history_view(self, request: HttpRequest, customer_id: int) -> HttpResponse:
        """The member's registration history as they see it (PV-3), for staff."""
        _require(request, "billing.view_customer")
        customer = get_object_or_404(Customer.objects.select_related("user", "group__owner"), pk=customer_id)
        if (member_id := _customer_member_id(customer)) is not None:
            record_staff_access(
                staff=request.user, member=member_id, kind=StaffAccess.Kind.BILLING, reference="history"
            )
        # A group's history is its owner's, the subscriber (TM-2): their own rows and the group's.
        contact = customer.contact
        rows = history_for_user(user=contact) if contact is not None else []
        context = {
            **self.admin_site.each_context(request),
            "title": _("Historique d'inscription de %(member)s") % {"member": customer},
            "rows": rows,
            "customer": customer,
            "opts": self.model._meta,
        }
        return render(request, "admin/billing/history.html", context)


@admin.register(Subscription)
class SubscriptionAdmin(roles.StaffAccessAuditMixin, admin.ModelAdmin[Subscription]):
    audit_kind = StaffAccess.Kind.BILLING

    list_display = ("customer", "plan", "access_level", "starts_at", "ends_at", "price", "currency", "source")
    list_filter = ("source", "access_level", "plan")
    search_fields = ("customer__user__username", "customer__user__email")
    list_select_related = ("customer__user", "plan")
    date_hierarchy = "starts_at"
    readonly_fields = (
        "customer",
        "plan",
        "access_level",
        "price",
        "currency",
        "starts_at",
        "ends_at",
        "source",
        "changed_from",
        "reason",
        "created_by",
        "created_at",
        "ended_recorded_at",
        "change_link",
    )
    fields = readonly_fields
    change_list_template = "admin/billing/subscription/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def audit_member_id(self, obj: Subscription) -> int | None:
        return _customer_member_id(obj.customer)

    @admin.display(description=_("changer la durée"))
    def change_link(self, obj: Subscription) -> str:
        url = reverse("admin:billing_subscription_change_duration", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Passer à une durée plus longue"))

    def get_urls(self) -> list[Any]:
        extra = [
            path("grant/", self.admin_site.admin_view(self.grant_view), name="billing_subscription_grant"),
            path(
                "<int:subscription_id>/change-duration/",
                self.admin_site.admin_view(self.change_duration_view),
                name="billing_subscription_change_duration",
            ),
        ]
        return extra + super().get_urls()

    def grant_view(self, request: AuthenticatedHttpRequest) -> HttpResponse:
        """TM-4: free access at any level for a period; no invoice; recorded."""
        _require(request, "billing.add_subscription")
        form = GrantForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            subscription = services.subscription_grant(
                holder=data["member"],
                access_level=data["access_level"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                actor=request.user,
                reason=data["reason"],
            )
            messages.success(request, _("Accès offert : %(subscription)s.") % {"subscription": subscription})
            return HttpResponseRedirect(reverse("admin:billing_subscription_change", args=[subscription.pk]))
        return _action_page(self, request, title=_("Offrir un accès gratuit"), form=form)

    def change_duration_view(self, request: AuthenticatedHttpRequest, subscription_id: int) -> HttpResponse:
        """TM-8: on the member's request, move a running subscription to a longer plan."""
        _require(request, "billing.change_subscription")
        subscription = get_object_or_404(
            Subscription.objects.select_related("plan", "customer__user"), pk=subscription_id
        )
        form = ChangeDurationForm(request.POST or None, subscription=subscription)
        if request.method == "POST" and form.is_valid():
            try:
                added = services.subscription_change_duration(
                    subscription=subscription,
                    plan=form.cleaned_data["plan"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    invoice_difference=form.cleaned_data["invoice_difference"],
                )
            except ChangeNotAllowed:
                form.add_error(None, _("Seul un abonnement en cours peut passer à une offre plus longue du même type."))
            else:
                messages.success(request, _("Durée prolongée : %(subscription)s.") % {"subscription": added})
                return HttpResponseRedirect(reverse("admin:billing_subscription_change", args=[added.pk]))
        return _action_page(
            self,
            request,
            title=_("Passer à une durée plus longue"),
            form=form,
            subject=subscription,
            intro=_(
                "La période achetée ne change pas (son prix est fixe) : les mois en plus forment une nouvelle "
                "période de la nouvelle offre, ajoutée à la fin de validité du compte."
            ),
        )


class PaymentInline(ReadOnlyAdminMixin, admin.TabularInline[Payment, Invoice]):
    model = Payment
    extra = 0
    fields = ("received_at", "provider", "reference", "amount", "currency", "status", "recorded_by", "detail")
    readonly_fields = fields


class InvoiceStatusFilter(admin.SimpleListFilter):
    title = _("à suivre")
    parameter_name = "follow"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("overdue", _("échéance dépassée")), ("open", _("à payer"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> QuerySet[Invoice]:
        from django.utils import timezone

        if self.value() == "overdue":
            return queryset.filter(status=Invoice.Status.OPEN, due_at__lt=timezone.now())
        if self.value() == "open":
            return queryset.filter(status=Invoice.Status.OPEN)
        return queryset


@admin.register(Invoice)
class InvoiceAdmin(roles.StaffAccessAuditMixin, admin.ModelAdmin[Invoice]):
    audit_kind = StaffAccess.Kind.INVOICE

    list_display = ("__str__", "customer", "status", "amount_total", "currency", "issued_at", "due_at", "paid_at")
    list_filter = (InvoiceStatusFilter, "status", "year")
    search_fields = ("number", "customer__user__username", "customer__user__email")
    list_select_related = ("customer__user",)
    date_hierarchy = "issued_at"
    readonly_fields = (
        "number",
        "status",
        "customer",
        "subscription",
        "line_description",
        "period_starts_at",
        "period_ends_at",
        "amount_net",
        "vat_rate",
        "vat_amount",
        "vat_mention",
        "amount_total",
        "currency",
        "seller_block",
        "buyer_block",
        "scheduled_at",
        "issued_at",
        "due_at",
        "paid_at",
        "voided_at",
        "overdue_processed_at",
        "actions_links",
    )
    fields = readonly_fields
    inlines = (PaymentInline,)
    actions = ("issue_now",)

    @admin.action(description=_("Émettre maintenant les brouillons choisis"), permissions=["change"])
    def issue_now(self, request: HttpRequest, queryset: QuerySet[Invoice]) -> None:
        """Issue the chosen drafts at once rather than at their scheduled time: number, email, deadline (BZ-1)."""
        issued = 0
        for invoice in queryset.filter(status=Invoice.Status.DRAFT).select_related("subscription"):
            with transaction.atomic():
                if services.subscription_invoice_issue_now(subscription=invoice.subscription) is not None:
                    issued += 1
        self.message_user(
            request,
            ngettext("%(count)d facture émise.", "%(count)d factures émises.", issued) % {"count": issued},
            messages.SUCCESS,
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def audit_member_id(self, obj: Invoice) -> int | None:
        return _customer_member_id(obj.customer)

    def audit_reference(self, obj: Invoice) -> str:
        return obj.number or f"#{obj.pk}"

    @admin.display(description=_("vendeur"))
    def seller_block(self, obj: Invoice) -> str:
        return party_block(obj.seller)

    @admin.display(description=_("acheteur"))
    def buyer_block(self, obj: Invoice) -> str:
        return party_block(obj.buyer)

    @admin.display(description=_("actions"))
    def actions_links(self, obj: Invoice) -> str:
        links: list[tuple[str, Any]] = []
        if obj.status != Invoice.Status.DRAFT:
            links.append((reverse("billing:invoice_pdf", kwargs={"invoice_id": obj.pk}), _("PDF")))
        if obj.status == Invoice.Status.OPEN:
            links.append((reverse("admin:billing_invoice_record_payment", args=[obj.pk]), _("Enregistrer un paiement")))
        if obj.status in (Invoice.Status.OPEN, Invoice.Status.DRAFT):
            links.append((reverse("admin:billing_invoice_void", args=[obj.pk]), _("Annuler la facture")))
        note = CreditNote.objects.filter(invoice_id=obj.pk).only("pk", "number").first()
        if note is not None:  # an issued invoice voided: its avoir (BZ-3)
            url = reverse("billing:credit_note_pdf", kwargs={"credit_note_id": note.pk})
            links.append((url, _("Avoir %(number)s (PDF)") % {"number": note.number}))
        return format_html(
            " ".join('<a class="button" href="{}">{}</a>' for _link in links),
            *[part for link in links for part in link],
        )

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "<int:invoice_id>/record-payment/",
                self.admin_site.admin_view(self.record_payment_view),
                name="billing_invoice_record_payment",
            ),
            path("<int:invoice_id>/void/", self.admin_site.admin_view(self.void_view), name="billing_invoice_void"),
        ]
        return extra + super().get_urls()

    def record_payment_view(self, request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
        """A bank transfer received, or a late payment: the invoice is paid; the account may be re-enabled."""
        _require(request, "billing.change_invoice")
        invoice = get_object_or_404(Invoice.objects.select_related("customer__user"), pk=invoice_id)
        form = RecordPaymentForm(
            request.POST or None,
            initial={"amount": invoice.amount_total, "currency": invoice.currency, "reference": invoice.number},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            payment = services.invoice_record_payment(
                invoice=invoice,
                amount=data["amount"],
                currency=data["currency"],
                reference=data["reference"],
                actor=request.user,
                reenable=data["reenable"],
                reason=data["reason"],
            )
            if payment.status == Payment.Status.SUCCEEDED:
                messages.success(request, _("Paiement enregistré : la facture est payée."))
            else:
                messages.warning(
                    request, _("Paiement enregistré mais refusé : %(detail)s") % {"detail": payment.detail}
                )
            return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[invoice.pk]))
        return _action_page(self, request, title=_("Enregistrer un paiement"), form=form, subject=invoice)

    def void_view(self, request: AuthenticatedHttpRequest, invoice_id: int) -> HttpResponse:
        _require(request, "billing.change_invoice")
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        form = VoidForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                voided = services.invoice_void(invoice=invoice, actor=request.user, reason=form.cleaned_data["reason"])
            except InvoiceNotPayable:
                form.add_error(None, _("Une facture payée ne peut pas être annulée (pas de remboursement)."))
            else:
                note = CreditNote.objects.filter(invoice_id=voided.pk).first()
                if note is not None:
                    messages.success(
                        request,
                        _("La facture est annulée par l'avoir %(number)s, envoyé au client ; son numéro reste utilisé.")
                        % {"number": note.number},
                    )
                else:
                    messages.success(request, _("La facture est annulée ; son numéro reste utilisé."))
                return HttpResponseRedirect(reverse("admin:billing_invoice_change", args=[invoice.pk]))
        return _action_page(self, request, title=_("Annuler la facture"), form=form, subject=invoice)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[Payment]):
    list_display = ("received_at", "invoice", "provider", "reference", "amount", "currency", "status", "recorded_by")
    list_filter = ("provider", "status")
    search_fields = ("reference", "invoice__number")
    list_select_related = ("invoice", "recorded_by")


@admin.register(BillingEvent)
class BillingEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[BillingEvent]):
    list_display = ("created_at", "customer", "kind", "subscription", "invoice", "actor")
    list_filter = ("kind",)
    search_fields = ("customer__user__username", "customer__user__email", "invoice__number", "detail")
    list_select_related = ("customer__user", "subscription__plan", "invoice", "actor")
    date_hierarchy = "created_at"


@admin.register(CreditNote)
class CreditNoteAdmin(ReadOnlyAdminMixin, admin.ModelAdmin[CreditNote]):
    """Credit notes are written by voiding an issued invoice, never by hand, and never change (BZ-3)."""

    list_display = ("number", "invoice", "customer", "amount_total", "currency", "issued_at", "created_by", "pdf_link")
    search_fields = ("number", "invoice__number", "customer__user__username", "customer__user__email")
    list_select_related = ("invoice", "customer__user", "customer__group", "created_by")
    date_hierarchy = "issued_at"
    fields = (
        "number",
        "invoice",
        "customer",
        "issued_at",
        "line_description",
        "amount_net",
        "vat_rate",
        "vat_amount",
        "vat_mention",
        "amount_total",
        "currency",
        "seller_block",
        "buyer_block",
        "reason",
        "created_by",
        "pdf_link",
    )
    readonly_fields = fields

    @admin.display(description=_("vendeur"))
    def seller_block(self, obj: CreditNote) -> str:
        return party_block(obj.seller)

    @admin.display(description=_("acheteur"))
    def buyer_block(self, obj: CreditNote) -> str:
        return party_block(obj.buyer)

    @admin.display(description=_("PDF"))
    def pdf_link(self, obj: CreditNote) -> str:
        url = reverse("billing:credit_note_pdf", kwargs={"credit_note_id": obj.pk})
        return format_html('<a href="{}">{}</a>', url, _("télécharger"))
