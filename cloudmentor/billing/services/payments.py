"""Payments received for invoices, once per provider reference; voided invoices (TM-6, TM-7)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from cloudmentor.accounts.models import AccountEvent, User
from cloudmentor.accounts.selectors import event_list
from cloudmentor.accounts.services import user_enable
from cloudmentor.mailing.services import email_queue

from .. import events
from ..exceptions import InvoiceNotPayable
from ..models import Invoice, Payment
from ._common import _absolute, _login_then, _now, _staff_alert


@dataclass(frozen=True)
class PaymentOutcome:
    payment: Payment
    created: bool


def _payment_record(
    *,
    invoice_id: int,
    provider: str,
    reference: str,
    amount: Decimal,
    currency: str,
    actor: User | None,
    detail: str = "",
    notify: bool = True,
    reenable_reason: str = "",
) -> PaymentOutcome:
    """Record money received for an invoice, once per (provider, reference); pay the invoice if it matches.

    Runs inside the caller's transaction. The invoice row is locked first, so deliveries
    of one payment that race each other see each other's row.
    """
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("customer__user", "customer__group__owner")
        .get(pk=invoice_id)
    )
    if reference:
        existing = Payment.objects.filter(provider=provider, reference=reference).first()
        if existing is not None:
            return PaymentOutcome(payment=existing, created=False)
    currency = currency.upper()
    now = _now()
    if amount != invoice.amount_total or currency != invoice.currency:
        status = Payment.Status.REJECTED
        detail = detail or f"expected {invoice.amount_total} {invoice.currency}, received {amount} {currency}"
    elif invoice.status != Invoice.Status.OPEN:
        status = Payment.Status.DUPLICATE
        detail = detail or f"invoice {invoice.get_status_display()}"
    else:
        status = Payment.Status.SUCCEEDED
    payment = Payment.objects.create(
        invoice=invoice,
        provider=provider,
        reference=reference,
        amount=amount,
        currency=currency,
        status=status,
        received_at=now,
        recorded_by=actor,
        detail=detail,
    )
    if status == Payment.Status.SUCCEEDED:
        invoice.status = Invoice.Status.PAID
        invoice.paid_at = now
        invoice.save(update_fields=["status", "paid_at"])
        events.invoice_paid(invoice=invoice, payment=payment)
        if _late_payment_reenable(invoice, actor=actor, reason=reenable_reason):
            if notify:
                _account_reenabled_send(invoice)
        elif notify:
            _payment_received_send(invoice)
    else:
        events.payment_rejected(invoice=invoice, payment=payment)
        _staff_alert(
            template="billing/emails/staff_payment_problem",
            context={
                "number": invoice.number,
                "status": payment.get_status_display(),
                "provider": payment.get_provider_display(),
                "reference": reference,
                "expected": f"{invoice.amount_total} {invoice.currency}",
                "received": f"{amount} {currency}",
                "member": invoice.buyer.get("username", ""),
            },
        )
    return PaymentOutcome(payment=payment, created=True)


def _late_payment_reenable(invoice: Invoice, *, actor: User | None, reason: str = "") -> bool:
    """Re-enable at once the account the billing run disabled for this invoice, now paid (BZ-4).

    Only when the run acted on this invoice's missed deadline, the account's last disabling
    was the run's (no actor: staff who disabled it for another reason decide themselves),
    and no other invoice of the subscriber is still unpaid past its deadline.
    """
    user = invoice.customer.contact
    if invoice.overdue_processed_at is None or user is None or user.is_active:
        return False
    latest = list(event_list(user=user, limit=1, kinds=(AccountEvent.Kind.DISABLED, AccountEvent.Kind.ENABLED)))
    last = latest[0] if latest else None
    if last is None or last.kind != AccountEvent.Kind.DISABLED or last.actor_id is not None:
        return False
    still_overdue = (
        Invoice.objects.filter(Q(customer__user=user) | Q(customer__group__owner=user))
        .filter(status=Invoice.Status.OPEN, overdue_processed_at__isnull=False)
        .exclude(pk=invoice.pk)
        .exists()
    )
    if still_overdue:
        return False
    if not reason:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            reason = _("Paiement de la facture %(number)s reçu après l'échéance") % {"number": invoice.number}
    user_enable(user=user, actor=actor, reason=reason)
    return True


def _account_reenabled_send(invoice: Invoice) -> None:
    """Tell the subscriber the payment arrived and the account is open again (one email, not two)."""
    user = invoice.customer.contact
    if user is None:
        return
    language = user.language or settings.LANGUAGE_CODE
    email_queue(
        to=user.email,
        template="billing/emails/account_reenabled",
        context={
            "username": user.username,
            "number": invoice.number,
            "amount": invoice.amount_total,
            "currency": invoice.currency,
            "login_url": _login_then(language, "billing:account"),
        },
        language=language,
    )


def _payment_received_send(invoice: Invoice) -> None:
    user = invoice.customer.contact
    if user is None:
        return
    language = user.language or settings.LANGUAGE_CODE
    email_queue(
        to=user.email,
        template="billing/emails/payment_received",
        context={
            "username": user.username,
            "number": invoice.number,
            "amount": invoice.amount_total,
            "currency": invoice.currency,
            "billing_url": _absolute("billing:account", language),
        },
        language=language,
    )


@transaction.atomic
def invoice_record_payment(
    *,
    invoice: Invoice,
    amount: Decimal,
    currency: str,
    reference: str,
    actor: User | None,
    reenable: bool = False,
    reason: str = "",
    notify: bool = True,
) -> Payment:
    """Record a bank transfer (or any late payment) received by staff; optionally re-enable the account."""
    outcome = _payment_record(
        invoice_id=invoice.pk,
        provider=Payment.Provider.MANUAL,
        reference=reference.strip(),
        amount=amount,
        currency=currency,
        actor=actor,
        notify=notify,
        reenable_reason=reason,
    )
    invoice.refresh_from_db()
    user = invoice.customer.contact
    if reenable and outcome.payment.status == Payment.Status.SUCCEEDED and user is not None and not user.is_active:
        user_enable(user=user, actor=actor, reason=reason or f"{invoice.number}")
    return outcome.payment


@transaction.atomic
def invoice_void(*, invoice: Invoice, actor: User | None, reason: str) -> Invoice:
    """Cancel an invoice that is not paid; a paid one is never undone (TM-7).

    An issued invoice keeps its number (numbers have no gaps) and is cancelled by a credit
    note, written in the same transaction (BZ-3); a draft cancelled before it was issued
    never gets a number, so the billing run will not issue it. Voiding a void invoice
    again changes nothing (a double click, a retried request): it returns it as it is.
    """
    from .credit_notes import _credit_note_issue

    locked = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("customer__user", "customer__group__owner")
        .get(pk=invoice.pk)
    )
    if locked.status == Invoice.Status.VOID:
        return locked
    if locked.status not in (Invoice.Status.DRAFT, Invoice.Status.OPEN):
        raise InvoiceNotPayable
    was_issued = locked.status == Invoice.Status.OPEN
    locked.status = Invoice.Status.VOID
    locked.voided_at = _now()
    locked.save(update_fields=["status", "voided_at"])
    events.invoice_voided(invoice=locked, actor=actor, reason=reason)
    if was_issued:
        _credit_note_issue(invoice=locked, actor=actor, reason=reason)
    return locked
