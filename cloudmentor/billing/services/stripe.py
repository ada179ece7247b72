"""Stripe Checkout for invoices: open a session, check it on return, act on webhooks (through providers).

Also billing's public face on Stripe for the apps above it (donations): the Checkout
Session type and the provider calls they need, so that `providers` stays billing's own
and the only code that talks to Stripe.
"""

from __future__ import annotations

import logging
import uuid

from django.db import transaction

from .. import signals
from ..exceptions import InvoiceNotPayable
from ..models import Invoice, Payment
from ..providers import stripe_checkout
from ..providers.stripe_checkout import CheckoutSession as CheckoutSession
from .payments import _payment_record

logger = logging.getLogger(__name__)

# The provider's calls other apps use (donations), under names that say what they do.
stripe_checkout_is_enabled = stripe_checkout.is_enabled
stripe_payment_session_create = stripe_checkout.payment_session_create
stripe_checkout_session_get = stripe_checkout.checkout_session_get


def invoice_checkout_start(*, invoice: Invoice, success_url: str, cancel_url: str) -> str:
    """Open a Stripe Checkout Session for an open invoice; return the page to send the member to."""
    if not invoice.is_payable:
        raise InvoiceNotPayable
    session = stripe_checkout.checkout_session_create(
        invoice_id=invoice.pk,
        description=f"{invoice.number} — {invoice.line_description}",
        amount=invoice.amount_total,
        currency=invoice.currency,
        customer_email=str(invoice.buyer.get("email", "")),
        success_url=success_url,
        cancel_url=cancel_url,
        idempotency_key=f"invoice-{invoice.pk}-{uuid.uuid4().hex}",
    )
    return session.url


@transaction.atomic
def stripe_checkout_completed(*, session: stripe_checkout.CheckoutSession) -> Payment | None:
    """Pay the invoice a completed Checkout Session is for; idempotent per session.

    A session that is not paid changes nothing. An amount or currency that differs from
    the invoice pays nothing and alerts staff (once per session).
    """
    if session.payment_status != "paid" or session.amount_total is None:
        return None
    if session.invoice_id is None or not Invoice.objects.filter(pk=session.invoice_id).exists():
        logger.error("Stripe session %s names no invoice of this platform", session.id)
        return None
    outcome = _payment_record(
        invoice_id=session.invoice_id,
        provider=Payment.Provider.STRIPE,
        reference=session.id,
        amount=session.amount_total,
        currency=session.currency,
        actor=None,
    )
    return outcome.payment


def stripe_checkout_return(*, invoice: Invoice, session_id: str) -> Payment | None:
    """Check, when the member comes back from Stripe, whether the session paid this invoice."""
    session = stripe_checkout.checkout_session_get(session_id)
    if session.invoice_id != invoice.pk:
        return None
    return stripe_checkout_completed(session=session)


def stripe_webhook_handle(*, payload: bytes, signature: str) -> str:
    """Verify a webhook and act on the events that pay invoices; return the event type.

    Raises WebhookRejected when the signature does not verify.
    """
    event = stripe_checkout.webhook_event(payload=payload, signature=signature)
    kind = str(event.get("type", ""))
    if kind in {"checkout.session.completed", "checkout.session.async_payment_succeeded"}:
        session = stripe_checkout.checkout_session_from_event(event)
        if session.invoice_id is not None or not _checkout_session_dispatch(session):
            stripe_checkout_completed(session=session)
    return kind


def _checkout_session_dispatch(session: stripe_checkout.CheckoutSession) -> bool:
    """Hand a session that names no invoice to the app that opened it (donations); True if one took it."""
    replies = signals.checkout_session_completed.send(sender=stripe_checkout.CheckoutSession, session=session)
    return any(bool(reply) for _receiver, reply in replies)
