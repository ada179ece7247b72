"""Card payments through the payment provider (Stripe Checkout, or the demo provider outside production).

Open a session, check it on return, act on signed webhooks: the same code whichever
provider took the payment (`providers.payment_provider()` for new payments,
`providers.provider_for_session()` for a session already opened).

Also billing's public face on card payments for the apps above it (donations): the
Checkout Session type and the provider calls they need, so that `providers` stays
billing's own and the only code that talks to a payment processor.
"""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal

from django.db import transaction

from .. import signals
from ..exceptions import InvoiceNotPayable, PaymentProviderError
from ..models import Invoice, Payment
from ..providers import DEMO, PaymentProvider, payment_provider, provider_for_session, provider_named
from ..providers.stripe_checkout import CheckoutSession as CheckoutSession
from .payments import _payment_record

logger = logging.getLogger(__name__)


def card_payment_is_enabled() -> bool:
    """Tell whether card payments are offered (a provider is configured and allowed here)."""
    return payment_provider() is not None


def card_payment_is_demo() -> bool:
    """Tell whether card payments go to the demo provider (pages then say that no money moves)."""
    provider = payment_provider()
    return provider is not None and provider.NAME == DEMO


def card_payment_form_action() -> str:
    """The origin a "pay by card" form is redirected to, for the page's CSP ('' when it is this site)."""
    provider = payment_provider()
    return provider.form_action_origin() if provider is not None else ""


def _active_provider() -> PaymentProvider:
    provider = payment_provider()
    if provider is None:
        raise PaymentProviderError("no payment provider is configured")
    return provider


def payment_session_create(
    *,
    metadata: dict[str, str],
    client_reference_id: str,
    description: str,
    amount: Decimal,
    currency: str,
    customer_email: str,
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
) -> CheckoutSession:
    """Open a one-off card payment with the active provider; `metadata` says what it pays."""
    return _active_provider().payment_session_create(
        metadata=metadata,
        client_reference_id=client_reference_id,
        description=description,
        amount=amount,
        currency=currency,
        customer_email=customer_email,
        success_url=success_url,
        cancel_url=cancel_url,
        idempotency_key=idempotency_key,
    )


def checkout_session_get(session_id: str) -> CheckoutSession:
    """Read a Checkout Session back from the provider that opened it."""
    return provider_for_session(session_id).checkout_session_get(session_id)


# The names donations has always used.
stripe_checkout_is_enabled = card_payment_is_enabled
stripe_payment_session_create = payment_session_create
stripe_checkout_session_get = checkout_session_get


def invoice_checkout_start(*, invoice: Invoice, success_url: str, cancel_url: str) -> str:
    """Open a Checkout Session for an open invoice; return the page to send the member to."""
    if not invoice.is_payable:
        raise InvoiceNotPayable
    session = payment_session_create(
        metadata={"invoice_id": str(invoice.pk)},
        client_reference_id=str(invoice.pk),
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
def stripe_checkout_completed(*, session: CheckoutSession) -> Payment | None:
    """Pay the invoice a completed Checkout Session is for; idempotent per session.

    A session that is not paid changes nothing. An amount or currency that differs from
    the invoice pays nothing and alerts staff (once per session).
    """
    if session.payment_status != "paid" or session.amount_total is None:
        return None
    if session.invoice_id is None or not Invoice.objects.filter(pk=session.invoice_id).exists():
        logger.error("Checkout session %s names no invoice of this platform", session.id)
        return None
    is_demo = provider_for_session(session.id).NAME == DEMO
    outcome = _payment_record(
        invoice_id=session.invoice_id,
        provider=Payment.Provider.DEMO if is_demo else Payment.Provider.STRIPE,
        reference=session.id,
        amount=session.amount_total,
        currency=session.currency,
        actor=None,
    )
    return outcome.payment


def stripe_checkout_return(*, invoice: Invoice, session_id: str) -> Payment | None:
    """Check, when the member comes back from the payment page, whether the session paid this invoice."""
    session = checkout_session_get(session_id)
    if session.invoice_id != invoice.pk:
        return None
    return stripe_checkout_completed(session=session)


def payment_webhook_handle(*, provider: str, payload: bytes, signature: str) -> str:
    """Verify a provider's signed event and act on the events that pay; return the event type.

    Stripe's webhook and the demo provider's "pay" button both come here. Raises
    WebhookRejected when the signature does not verify.
    """
    source = provider_named(provider)
    event = source.webhook_event(payload=payload, signature=signature)
    kind = str(event.get("type", ""))
    if kind in {"checkout.session.completed", "checkout.session.async_payment_succeeded"}:
        session = source.checkout_session_from_event(event)
        if session.invoice_id is not None or not _checkout_session_dispatch(session):
            stripe_checkout_completed(session=session)
    return kind


def stripe_webhook_handle(*, payload: bytes, signature: str) -> str:
    """Stripe's signed webhook (`payment_webhook_handle` for Stripe)."""
    return payment_webhook_handle(provider="stripe", payload=payload, signature=signature)


def _checkout_session_dispatch(session: CheckoutSession) -> bool:
    """Hand a session that names no invoice to the app that opened it (donations); True if one took it."""
    replies = signals.checkout_session_completed.send(sender=CheckoutSession, session=session)
    return any(bool(reply) for _receiver, reply in replies)
