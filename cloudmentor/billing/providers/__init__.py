"""The only code that talks to a payment processor: Stripe Checkout, or the demo provider.

Both offer the same calls (`PaymentProvider`): open a Checkout Session, read one back,
verify a signed webhook event and take its session out. `payment_provider()` says which one
takes new payments (``BILLING_PAYMENT_PROVIDER``, read at call time); a session already
opened is always read back from the provider that opened it (`provider_for_session`), so
switching providers never strands a payment in flight.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Protocol

from django.conf import settings

from . import demo, stripe_checkout
from .stripe_checkout import CheckoutSession

STRIPE = "stripe"
DEMO = "demo"


class PaymentProvider(Protocol):
    """The calls every provider module offers (each one a module: `stripe_checkout`, `demo`)."""

    NAME: str

    def is_enabled(self) -> bool: ...

    def payment_session_create(
        self,
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
    ) -> CheckoutSession: ...

    def checkout_session_get(self, session_id: str) -> CheckoutSession: ...

    def webhook_event(self, *, payload: bytes, signature: str) -> dict[str, Any]: ...

    def checkout_session_from_event(self, event: dict[str, Any]) -> CheckoutSession: ...

    def form_action_origin(self) -> str: ...


_PROVIDERS: dict[str, PaymentProvider] = {STRIPE: stripe_checkout, DEMO: demo}


def payment_provider_name() -> str:
    """Name the provider that takes new payments; empty when there is none.

    ``BILLING_PAYMENT_PROVIDER`` when set; otherwise Stripe when ``STRIPE_SECRET_KEY`` is set,
    else the demo provider on a development machine (``CLOUDMENTOR_ENV=development``), else none.
    """
    configured = str(settings.BILLING_PAYMENT_PROVIDER).strip().lower()
    if configured:
        return configured
    if settings.STRIPE_SECRET_KEY:
        return STRIPE
    if settings.ENVIRONMENT == "development":
        return DEMO
    return ""


def payment_provider() -> PaymentProvider | None:
    """Return the provider that takes new payments, or None (card payment is then not offered)."""
    provider = _PROVIDERS.get(payment_provider_name())
    if provider is None or not provider.is_enabled():
        return None
    return provider


def provider_named(name: str) -> PaymentProvider:
    """Return the provider `name` (``stripe``, ``demo``); KeyError for any other name."""
    return _PROVIDERS[name]


def provider_for_session(session_id: str) -> PaymentProvider:
    """Return the provider that opened a Checkout Session, told by its id."""
    return demo if demo.is_demo_session(session_id) else stripe_checkout
