"""Invoices (drafts, issue, gapless numbers, PDF) and the billing run: deadlines and expiries (TM-6, PV-3, PV-8)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Max, Model
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cloudmentor.accounts.services import user_disable
from cloudmentor.mailing.services import email_queue
from cloudmentor.operations.models import MaintenanceWindow

from .. import events
from ..models import (
    BillingEvent,
    CreditNoteSequence,
    Customer,
    Invoice,
    InvoiceDocument,
    InvoiceSequence,
    Subscription,
)
from ._common import _login_then, _now
from .customers import _validity_end

CENT = Decimal("0.01")


def _invoice_draft(
    *, subscription: Subscription, amount: Decimal, now: datetime, scheduled_at: datetime | None = None
) -> Invoice:
    """Schedule the invoice of a period: ``BILLING_INVOICE_DELAY_DAYS`` after purchase, before expiry."""
    if scheduled_at is None:
        validity_end = _validity_end(subscription.customer) or subscription.ends_at
        latest = max(now, validity_end - timedelta(days=1))
        scheduled_at = min(now + timedelta(days=int(settings.BILLING_INVOICE_DELAY_DAYS)), latest)
    return Invoice.objects.create(
        customer_id=subscription.customer_id,
        subscription=subscription,
        status=Invoice.Status.DRAFT,
        amount_total=amount,
        currency=subscription.currency,
        period_starts_at=subscription.starts_at,
        period_ends_at=subscription.ends_at,
        scheduled_at=scheduled_at,
        created_at=now,
    )


def _seller() -> dict[str, str]:
    return {
        "name": settings.BILLING_SELLER_NAME,
        "address": settings.BILLING_SELLER_ADDRESS,
        "siret": settings.BILLING_SELLER_SIRET,
        "vat_number": settings.BILLING_SELLER_VAT_NUMBER,
        "email": settings.BILLING_SELLER_EMAIL,
        "iban": settings.BILLING_IBAN,
        "bic": settings.BILLING_BIC,
    }


def _buyer(customer: Customer) -> dict[str, str]:
    user = customer.contact  # a group's owner (TM-2)
    group_name = customer.group.name if customer.group_id and customer.group else ""
    name = (
        customer.billing_name or group_name or (user.get_full_name() if user else "") or (user.username if user else "")
    )
    return {
        "name": name,
        "username": user.username if user else "",
        "email": user.email if user else "",
        "address": customer.billing_address,
        "language": user.language if user else settings.LANGUAGE_CODE,
    }


def vat_split(total: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """Return (net, VAT) of a VAT-included `total`; they add up to it exactly."""
    if rate == 0:
        return total, Decimal("0.00")
    net = (total / (1 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
    return net, total - net


def _line_description(invoice: Invoice, language: str) -> str:
    subscription = invoice.subscription
    plan = subscription.plan
    with translation.override(language):
        name = plan.display_name if plan is not None else str(subscription.get_access_level_display())
        start = date_format(timezone.localtime(invoice.period_starts_at), "SHORT_DATE_FORMAT")
        end = date_format(timezone.localtime(invoice.period_ends_at), "SHORT_DATE_FORMAT")
        if subscription.source == Subscription.Source.STAFF_CHANGE:
            label = _("Abonnement %(plan)s — changement de durée, du %(start)s au %(end)s")
        else:
            label = _("Abonnement %(plan)s, du %(start)s au %(end)s")
        return label % {"plan": name, "start": start, "end": end}


def _numbers_take(
    year: int, count: int, series: type[InvoiceSequence | CreditNoteSequence] = InvoiceSequence
) -> list[int]:
    """Hand out `count` consecutive numbers of `year` in `series`; its row stays locked until commit.

    Numbers and documents are written in the same transaction, so a rollback returns the
    numbers too: the series has no gap (French invoicing rule). Credit notes have a
    series of their own (``CreditNoteSequence``), taken the same way.
    """
    rows: Any = series._default_manager  # either series: one row per year, the same two columns
    rows.bulk_create([series(year=year)], ignore_conflicts=True)
    sequence = rows.select_for_update().get(year=year)
    first = sequence.last_number + 1
    sequence.last_number += count
    sequence.save(update_fields=["last_number"])
    return list(range(first, first + count))


_ISSUE_FIELDS = [
    "status",
    "number",
    "year",
    "sequence",
    "issued_at",
    "due_at",
    "seller",
    "buyer",
    "amount_net",
    "vat_rate",
    "vat_amount",
    "vat_mention",
    "line_description",
]


def _rows_update(model: type[Model], fields: list[str], objects: list[Any]) -> None:
    """Write `fields` of each object, one UPDATE per row sent in a single batch (executemany).

    ``bulk_update`` builds a CASE expression per field and row: on 5,000 invoices it cost
    more than everything else the billing run does (see bench/billing_run.py).
    """
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    columns: list[Any] = [meta.get_field(name) for name in fields]
    primary_key: Any = meta.pk
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(primary_key.column)} = %s"  # noqa: S608 - names from the model
    rows = [
        [column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns] + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _invoices_issue(drafts: list[Invoice], *, now: datetime, notify: bool = True) -> list[Invoice]:
    """Issue locked drafts: number, details, due date, history row, notice email, PDF task.

    The due date is ``BILLING_PAYMENT_TERMS_DAYS`` after issue, never after the account's
    validity end (but not before the issue itself).
    """
    if not drafts:
        return []
    customer_ids = {invoice.customer_id for invoice in drafts}
    validity_ends = dict(
        Subscription.objects.filter(customer_id__in=customer_ids)
        .values("customer_id")
        .annotate(end=Max("ends_at"))
        .values_list("customer_id", "end")
    )
    rate = Decimal(str(settings.BILLING_VAT_RATE))
    seller = _seller()
    terms = timedelta(days=int(settings.BILLING_PAYMENT_TERMS_DAYS))
    prefix = settings.BILLING_INVOICE_PREFIX
    year = timezone.localtime(now).year
    numbers = _numbers_take(year, len(drafts))
    for invoice, sequence in zip(drafts, numbers, strict=True):
        buyer = _buyer(invoice.customer)
        net, vat = vat_split(invoice.amount_total, rate)
        validity_end = validity_ends.get(invoice.customer_id) or invoice.period_ends_at
        invoice.status = Invoice.Status.OPEN
        invoice.year = year
        invoice.sequence = sequence
        invoice.number = f"{prefix}-{year}-{sequence:06d}"
        invoice.issued_at = now
        invoice.due_at = max(now, min(now + terms, validity_end))
        invoice.seller = seller
        invoice.buyer = buyer
        invoice.amount_net = net
        invoice.vat_rate = rate
        invoice.vat_amount = vat
        invoice.vat_mention = settings.BILLING_VAT_EXEMPTION_MENTION if rate == 0 else ""
        invoice.line_description = _line_description(invoice, buyer["language"])
    _rows_update(Invoice, _ISSUE_FIELDS, drafts)
    BillingEvent.objects.bulk_create([events.invoice_issued_row(invoice=invoice) for invoice in drafts])
    if notify:
        for invoice in drafts:
            _invoice_notice_send(invoice)
    ids = [invoice.pk for invoice in drafts]
    transaction.on_commit(partial(_enqueue_pdf_render, ids))
    return drafts


def _invoice_notice_send(invoice: Invoice) -> None:
    """Tell the member an invoice is available and that they should log in to pay (TM-6).

    The email carries no amount to pay by link, no card form and no payment link: only
    the invoice's number, total, due date and the address of the login page.
    """
    user = invoice.customer.contact  # a group's invoices go to its owner (TM-2)
    if user is None or not user.is_active:
        return  # a disabled member is only ever told to contact support
    language = user.language or settings.LANGUAGE_CODE
    email_queue(
        to=user.email,
        template="billing/emails/invoice_available",
        context={
            "username": user.username,
            "number": invoice.number,
            "amount": invoice.amount_total,
            "currency": invoice.currency,
            "due_at": invoice.due_at,
            "login_url": _login_then(language, "billing:account"),
        },
        language=language,
    )


def _enqueue_pdf_render(invoice_ids: list[int]) -> None:
    from ..tasks import invoice_pdf_render_task

    invoice_pdf_render_task.enqueue(invoice_ids)


@transaction.atomic
def _invoice_issue_batch(*, now: datetime, limit: int) -> int:
    drafts = list(
        Invoice.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("customer__user", "customer__group__owner", "subscription__plan")
        .filter(status=Invoice.Status.DRAFT, scheduled_at__lte=now)
        .order_by("scheduled_at", "pk")[:limit]
    )
    return len(_invoices_issue(drafts, now=now))


@transaction.atomic
def subscription_invoice_issue_now(*, subscription: Subscription, notify: bool = True) -> Invoice | None:
    """Issue the draft invoice of a subscription now rather than at its scheduled time (demo, staff)."""
    drafts = list(
        Invoice.objects.select_for_update(of=("self",))
        .select_related("customer__user", "customer__group__owner", "subscription__plan")
        .filter(subscription=subscription, status=Invoice.Status.DRAFT)
    )
    issued = _invoices_issue(drafts, now=_now(), notify=notify)
    return issued[0] if issued else None


def invoice_issue_due(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Issue every draft whose time has come, in batches (one transaction each); return how many.

    Two runs at once share the work: each skips the drafts the other has locked.
    """
    now = now or _now()
    limit = batch_size or int(settings.BILLING_RUN_BATCH_SIZE)
    issued = 0
    while True:
        count = _invoice_issue_batch(now=now, limit=limit)
        issued += count
        if count < limit:
            return issued


def invoice_pdf_render(*, invoice_id: int) -> InvoiceDocument | None:
    """Render the PDF of an issued invoice once; later calls return the stored one."""
    from ..pdf import invoice_pdf_bytes

    document = InvoiceDocument.objects.filter(invoice_id=invoice_id).first()
    if document is not None:
        return document
    invoice = Invoice.objects.select_related("subscription__plan").get(pk=invoice_id)
    if invoice.status == Invoice.Status.DRAFT:
        return None
    content = invoice_pdf_bytes(invoice)
    try:
        with transaction.atomic():
            return InvoiceDocument.objects.create(
                invoice=invoice, pdf=content, sha256=hashlib.sha256(content).hexdigest()
            )
    except IntegrityError:  # rendered at the same moment by another worker: keep the first
        return InvoiceDocument.objects.get(invoice_id=invoice_id)


@transaction.atomic
def _overdue_batch(*, now: datetime, limit: int) -> tuple[int, int]:
    """Act on up to `limit` invoices past their due date; return (invoices handled, accounts disabled)."""
    overdue = list(
        Invoice.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("customer__user", "customer__group__owner")
        .filter(status=Invoice.Status.OPEN, overdue_processed_at__isnull=True, due_at__lt=now)
        .order_by("due_at", "pk")[:limit]
    )
    if not overdue:
        return 0, 0
    Invoice.objects.filter(pk__in=[invoice.pk for invoice in overdue]).update(overdue_processed_at=now)
    disabled: set[int] = set()
    for invoice in overdue:
        # A group's owner gets the TM-6 treatment; the group's access follows the owner's account.
        user = invoice.customer.contact
        if user is None or not user.is_active or user.pk in disabled:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            reason = _("Facture %(number)s impayée à l'échéance") % {"number": invoice.number}
        # No email: the account is disabled without notice (TM-6); its sessions end.
        user_disable(user=user, actor=None, reason=reason)
        disabled.add(user.pk)
    return len(overdue), len(disabled)


def invoices_disable_overdue(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Disable every account with an invoice unpaid past its due date; return how many.

    Each invoice is acted on once: an account that staff re-enable stays enabled. Two
    runs at once share the work (skip-locked batches).
    """
    now = now or _now()
    limit = batch_size or int(settings.BILLING_RUN_BATCH_SIZE)
    disabled = 0
    while True:
        handled, count = _overdue_batch(now=now, limit=limit)
        disabled += count
        if handled < limit:
            return disabled


@transaction.atomic
def _periods_ended_batch(*, now: datetime, limit: int) -> int:
    ended = list(
        Subscription.objects.select_for_update(skip_locked=True)
        .filter(ended_recorded_at__isnull=True, ends_at__lte=now)
        .order_by("ends_at", "pk")
        .only("pk", "customer_id", "ends_at")[:limit]
    )
    if not ended:
        return 0
    BillingEvent.objects.bulk_create([events.period_ended_row(subscription=row) for row in ended])
    Subscription.objects.filter(pk__in=[row.pk for row in ended]).update(ended_recorded_at=now)
    return len(ended)


def periods_record_ended(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Write one "period ended" history row per period that has ended; nothing is deleted (PV-8)."""
    now = now or _now()
    recorded = 0
    while True:
        count = _periods_ended_batch(now=now, limit=batch_size)
        recorded += count
        if count < batch_size:
            return recorded


def disabling_held_until(*, now: datetime) -> datetime | None:
    """Return until when no account may be disabled for non-payment, or None (BZ-4).

    During a maintenance window members cannot log in to pay (TM-5), so the billing run
    waits for the window's end plus ``BILLING_MAINTENANCE_GRACE_HOURS``: a window in
    progress, or one that ended less than that many hours ago, holds every disabling.
    Cancelled windows hold nothing. One query on the windows (operations' table).
    """
    grace = timedelta(hours=float(settings.BILLING_MAINTENANCE_GRACE_HOURS))
    end: datetime | None = (
        MaintenanceWindow.objects.filter(cancelled_at__isnull=True, starts_at__lte=now, ends_at__gt=now - grace)
        .order_by("-ends_at")
        .values_list("ends_at", flat=True)
        .first()
    )
    return end + grace if end is not None else None


@dataclass(frozen=True)
class BillingRunReport:
    disabled: int
    issued: int
    ended: int
    # Set when a maintenance window (or its grace hours) held every disabling of this run (BZ-4).
    disabling_held_until: datetime | None = None


def billing_run(*, now: datetime | None = None) -> BillingRunReport:
    """Do what is due: disable overdue accounts, issue invoices and notices, record ended periods.

    No account is disabled during a maintenance window nor in the grace hours after it
    (`disabling_held_until`): those deadlines are acted on by the first run after.
    Idempotent and safe to run twice at once (row locks, skip-locked batches).
    """
    now = now or _now()
    held_until = disabling_held_until(now=now)
    disabled = 0 if held_until is not None else invoices_disable_overdue(now=now)
    issued = invoice_issue_due(now=now)
    ended = periods_record_ended(now=now)
    return BillingRunReport(disabled=disabled, issued=issued, ended=ended, disabling_held_until=held_until)
