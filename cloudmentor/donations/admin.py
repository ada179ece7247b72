"""Staff view of donations at /staff/: read-only, monthly totals, "mark abandoned" for pending ones."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cloudmentor.core.admin import ReadOnlyAdminMixin

from . import services
from .exceptions import DonationNotAbandonable
from .models import Donation, DonationPayment
from .selectors import donation_monthly_totals


class DonationPaymentInline(ReadOnlyAdminMixin, admin.TabularInline[DonationPayment, Donation]):
    model = DonationPayment
    extra = 0
    fields = ("session_id", "amount", "currency", "status", "received_at", "detail")
    readonly_fields = fields


@admin.register(Donation)
class DonationAdmin(admin.ModelAdmin[Donation]):
    list_display = ("__str__", "status", "amount", "currency", "created_at", "paid_at", "user", "email")
    list_filter = ("status", "currency", "year")
    search_fields = ("reference", "email", "name", "user__username", "checkout_session_id")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "reference",
        "status",
        "amount",
        "currency",
        "user",
        "name",
        "email",
        "language",
        "checkout_session_id",
        "seller",
        "tax_receipt_mention",
        "created_at",
        "paid_at",
        "abandoned_at",
        "personal_data_erased_at",
    )
    fields = readonly_fields
    inlines = (DonationPaymentInline,)
    actions = ("mark_abandoned",)
    change_list_template = "admin/donations/donation/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context=extra_context)
        context = getattr(response, "context_data", None)
        if context is not None and "cl" in context:
            # Totals of what the filters select (status, date), per month and currency.
            context["monthly_totals"] = donation_monthly_totals(queryset=context["cl"].queryset)
        return response

    @admin.action(description=_("Marquer comme abandonnés (dons en attente seulement)"))
    def mark_abandoned(self, request: HttpRequest, queryset: QuerySet[Donation]) -> None:
        done = 0
        for donation in queryset:
            try:
                services.donation_mark_abandoned(donation=donation)
            except DonationNotAbandonable:
                continue
            done += 1
        messages.success(
            request,
            ngettext("%(count)d don marqué abandonné.", "%(count)d dons marqués abandonnés.", done) % {"count": done},
        )
