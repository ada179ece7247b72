"""Registration-history writers (PV-3): one function per thing that happens to a customer."""

from __future__ import annotations

from django.utils import timezone

from cloudmentor.accounts.models import User

from .models import BillingEvent, CreditNote, Invoice, Payment, Subscription


def _record(
    *,
    subscription: Subscription | None = None,
    invoice: Invoice | None = None,
    kind: str,
    actor: User | None = None,
    detail: str = "",
) -> BillingEvent:
    customer_id = invoice.customer_id if invoice is not None else subscription.customer_id  # type: ignore[union-attr]  # each writer passes one of the two
    return BillingEvent.objects.create(
        customer_id=customer_id,
        kind=kind,
        subscription=subscription if subscription is not None else (invoice.subscription if invoice else None),
        invoice=invoice,
        actor=actor,
        detail=detail,
    )


def subscription_purchased(*, subscription: Subscription, actor: User | None) -> BillingEvent:
    return _record(subscription=subscription, kind=BillingEvent.Kind.PURCHASED, actor=actor)


def subscription_extended(*, subscription: Subscription, actor: User | None) -> BillingEvent:
    return _record(subscription=subscription, kind=BillingEvent.Kind.EXTENDED, actor=actor)


def subscription_granted(*, subscription: Subscription, actor: User | None) -> BillingEvent:
    return _record(subscription=subscription, kind=BillingEvent.Kind.GRANTED, actor=actor, detail=subscription.reason)


def subscription_changed(*, subscription: Subscription, actor: User | None, detail: str) -> BillingEvent:
    return _record(subscription=subscription, kind=BillingEvent.Kind.STAFF_CHANGED, actor=actor, detail=detail)


def invoice_issued_row(*, invoice: Invoice) -> BillingEvent:
    """Return the (unsaved) history row of an issued invoice: the billing run inserts them in bulk."""
    return BillingEvent(
        customer_id=invoice.customer_id,
        kind=BillingEvent.Kind.INVOICE_ISSUED,
        subscription_id=invoice.subscription_id,
        invoice=invoice,
        created_at=invoice.issued_at or timezone.now(),
    )


def invoice_paid(*, invoice: Invoice, payment: Payment) -> BillingEvent:
    return _record(
        invoice=invoice,
        kind=BillingEvent.Kind.INVOICE_PAID,
        actor=payment.recorded_by,
        detail=f"{payment.get_provider_display()} {payment.reference}".strip(),
    )


def invoice_voided(*, invoice: Invoice, actor: User | None, reason: str) -> BillingEvent:
    return _record(invoice=invoice, kind=BillingEvent.Kind.INVOICE_VOIDED, actor=actor, detail=reason)


def credit_note_issued(*, credit_note: CreditNote, actor: User | None) -> BillingEvent:
    return _record(
        invoice=credit_note.invoice, kind=BillingEvent.Kind.CREDIT_NOTE_ISSUED, actor=actor, detail=credit_note.number
    )


def payment_rejected(*, invoice: Invoice, payment: Payment) -> BillingEvent:
    return _record(invoice=invoice, kind=BillingEvent.Kind.PAYMENT_REJECTED, detail=payment.detail)


def period_ended_row(*, subscription: Subscription) -> BillingEvent:
    """Return the (unsaved) history row of a period that ended: written in bulk by the billing run."""
    return BillingEvent(
        customer_id=subscription.customer_id,
        kind=BillingEvent.Kind.PERIOD_ENDED,
        subscription_id=subscription.pk,
        created_at=subscription.ends_at,
    )
