"""Stripe Checkout: create and read Checkout Sessions, verify signed webhooks.

Keys come from ``STRIPE_SECRET_KEY`` and ``STRIPE_WEBHOOK_SECRET``; requests go to
``BILLING_STRIPE_API_BASE`` (the real API by default, a local fake in tests). Nothing here
refunds: the product offers no refunds (TM-7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import stripe
from django.conf import settings

from ..exceptions import PaymentProviderError, WebhookRejected

if TYPE_CHECKING:
    from stripe.params.checkout import SessionCreateParams

NAME = "stripe"

# ISO 4217 currencies without minor unit that Stripe accepts; every other one has cents.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND"}
)


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str
    payment_status: str
    amount_total: Decimal | None
    currency: str
    invoice_id: int | None
    metadata: dict[str, str] = field(default_factory=dict)


def is_enabled() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def form_action_origin() -> str:
    """The origin a page's "pay" form is redirected to (Stripe's hosted page), for its CSP."""
    parts = urlsplit(str(settings.BILLING_STRIPE_CHECKOUT_ORIGIN))
    return f"{parts.scheme}://{parts.netloc}"


def to_minor_units(amount: Decimal, currency: str) -> int:
    factor = 1 if currency.upper() in ZERO_DECIMAL_CURRENCIES else 100
    return int((amount * factor).to_integral_exact())


def from_minor_units(amount: int, currency: str) -> Decimal:
    if currency.upper() in ZERO_DECIMAL_CURRENCIES:
        return Decimal(amount).quantize(Decimal("0.01"))
    return (Decimal(amount) / 100).quantize(Decimal("0.01"))


def _client() -> stripe.StripeClient:
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.BILLING_STRIPE_API_BASE},
        max_network_retries=2,
    )


def _session(raw: Any) -> CheckoutSession:
    data: dict[str, Any] = raw.to_dict() if hasattr(raw, "to_dict") else dict(raw)
    currency = str(data.get("currency") or "").upper()
    amount = data.get("amount_total")
    metadata = data.get("metadata") or {}
    reference = metadata.get("invoice_id") or data.get("client_reference_id")
    return CheckoutSession(
        id=str(data["id"]),
        url=str(data.get("url") or ""),
        payment_status=str(data.get("payment_status") or ""),
        amount_total=from_minor_units(int(amount), currency) if amount is not None else None,
        currency=currency,
        invoice_id=int(reference) if reference and str(reference).isdigit() else None,
        metadata={str(key): str(value) for key, value in metadata.items()},
    )


def checkout_session_create(
    *,
    invoice_id: int,
    description: str,
    amount: Decimal,
    currency: str,
    customer_email: str,
    success_url: str,
    cancel_url: str,
    idempotency_key: str,
) -> CheckoutSession:
    """Open a one-off card payment for an invoice; the member pays on Stripe's page."""
    return payment_session_create(
        metadata={"invoice_id": str(invoice_id)},
        client_reference_id=str(invoice_id),
        description=description,
        amount=amount,
        currency=currency,
        customer_email=customer_email,
        success_url=success_url,
        cancel_url=cancel_url,
        idempotency_key=idempotency_key,
    )


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
    """Open a one-off card payment; `metadata` says what it pays (an invoice, a donation).

    Only an invoice's `client_reference_id` is a bare number: the webhook reads it as one.
    """
    params: SessionCreateParams = {
        "mode": "payment",
        "client_reference_id": client_reference_id,
        "metadata": metadata,
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": currency.lower(),
                    "unit_amount": to_minor_units(amount, currency),
                    "product_data": {"name": description[:250]},
                },
            }
        ],
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if customer_email:
        params["customer_email"] = customer_email
    try:
        raw = _client().v1.checkout.sessions.create(params=params, options={"idempotency_key": idempotency_key})
    except stripe.StripeError as error:
        raise PaymentProviderError(str(error)) from error
    return _session(raw)


def checkout_session_get(session_id: str) -> CheckoutSession:
    try:
        raw = _client().v1.checkout.sessions.retrieve(session_id)
    except stripe.StripeError as error:
        raise PaymentProviderError(str(error)) from error
    return _session(raw)


def webhook_event(*, payload: bytes, signature: str) -> dict[str, Any]:
    """Return the verified event (as plain data); raise WebhookRejected if the signature fails."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        raise WebhookRejected("STRIPE_WEBHOOK_SECRET is not set")
    try:
        event = stripe.Webhook.construct_event(payload, signature, secret)
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise WebhookRejected(str(error)) from error
    except (AttributeError, TypeError) as error:  # signed, but its JSON is not an object (a list, a string…): TR-7
        raise WebhookRejected(f"malformed event: {error!r}") from error
    data: dict[str, Any] = event.to_dict()
    return data


def checkout_session_from_event(event: dict[str, Any]) -> CheckoutSession:
    """Return the event's Checkout Session; raise WebhookRejected when the event carries none."""
    try:
        return _session(event["data"]["object"])
    except (KeyError, TypeError, ValueError, AttributeError) as error:  # signed, but not a session
        raise WebhookRejected(f"malformed event: {error!r}") from error
