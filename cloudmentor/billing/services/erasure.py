"""Billing's part of erasing a member's personal data; invoices and their records are kept (PV-10)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from cloudmentor.accounts.models import User
from cloudmentor.core import stamps

from ..models import Customer, Invoice, Payment
from ..selectors import access_stamp


@dataclass(frozen=True)
class BillingErasure:
    drafts_deleted: int
    details_cleared: bool
    invoices_kept: int
    unpaid_kept: int
    records_kept: int


@transaction.atomic
def billing_erase_for_user(*, user: User) -> BillingErasure:
    """Erase what billing may erase; keep invoices and their records for ten years (PV-10).

    The buyer details of the customer row are cleared: issued invoices keep their own
    copy (``buyer``), printed on their PDF. Drafts not issued yet are deleted: the access
    ends with the account, nothing more is invoiced. Periods, payments and history rows
    stay, tied to the anonymised account, as the invoices' supporting records.

    The group the member owns is theirs as subscriber (TM-2): its customer is treated the
    same way, so its subscription ends with the owner's account — no invoice is issued for
    it afterwards, the billing run finds no draft (PV-10, decision 0107); accounts takes the
    members out of the group and tells them.
    """
    customers = list(
        Customer.objects.select_for_update(of=("self",)).filter(Q(user=user) | Q(group__owner=user)).order_by("pk")
    )
    drafts_deleted = 0
    details_cleared = False
    for customer in customers:
        drafts_deleted += Invoice.objects.filter(customer=customer, status=Invoice.Status.DRAFT).delete()[0]
        details_cleared = details_cleared or bool(customer.billing_name or customer.billing_address)
        customer.billing_name = ""
        customer.billing_address = ""
        customer.save(update_fields=["billing_name", "billing_address"])
    invoices = Invoice.objects.filter(customer__in=customers)
    records = sum(
        customer.subscriptions.count()
        + Payment.objects.filter(invoice__customer=customer).count()
        + customer.events.count()
        for customer in customers
    )
    if customers:
        stamps.bump(access_stamp(user.pk))
    return BillingErasure(
        drafts_deleted=drafts_deleted,
        details_cleared=details_cleared,
        invoices_kept=invoices.count(),
        unpaid_kept=invoices.filter(status=Invoice.Status.OPEN).count(),
        records_kept=records,
    )
