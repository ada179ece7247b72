"""The demo payment provider: Stripe Checkout's calls, answered by this site, outside production (BZ-1).

Built like Saleor's dummy gateway: the same calls as `stripe_checkout`, a payment page on
this site (`/billing/demo/checkout/<id>/`) offering "pay", "card declined" and "abandon",
and, on "pay", an event shaped and signed exactly like Stripe's, verified by the same
`stripe.Webhook.construct_event` and handled by the same webhook service as Stripe's. The
success and cancel addresses are the ones Stripe would use, so a demo payment follows the
real paths end to end: webhook, return page, invoice paid, receipt email.

Refused in production (`CLOUDMENTOR_ENV=production`): every call raises `DemoProviderRefused`,
and the system check `billing.E101` stops the start (decision 0130).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from decimal import Decimal
from typing import Any

import stripe
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils.crypto import salted_hmac

from ..exceptions import DemoProviderRefused, PaymentProviderError, WebhookRejected
from ..models import DemoCheckoutSession
from .stripe_checkout import CheckoutSession, to_minor_units
from .stripe_checkout import checkout_session_from_event as checkout_session_from_event  # Stripe's event shape

NAME = "demo"
SESSION_PREFIX = "cs_demo_"


def _refuse_in_production() -> None:
    if settings.PRODUCTION:
        raise DemoProviderRefused(
            "The demo payment provider never runs in production (CLOUDMENTOR_ENV=production): "
            "set BILLING_PAYMENT_PROVIDER=stripe and the Stripe keys."
        )


def is_enabled() -> bool:
    return not settings.PRODUCTION


def is_demo_session(session_id: str) -> bool:
    return session_id.startswith(SESSION_PREFIX)


def form_action_origin() -> str:
    """The demo payment page is on this site: 'self' already allows it."""
    return ""


def webhook_secret() -> str:
    """The signing secret of demo events, derived from ``SECRET_KEY`` (nothing to configure)."""
    return salted_hmac("cloudmentor.billing.providers.demo", "webhook", algorithm="sha256").hexdigest()


def signature_header(payload: bytes, timestamp: int | None = None) -> str:
    """Sign `payload` as Stripe does: ``t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(webhook_secret().encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _as_stripe_object(row: DemoCheckoutSession) -> dict[str, Any]:
    """The session as Stripe's API would give it (amounts in minor units, currency lower case)."""
    return {
        "id": row.id,
        "object": "checkout.session",
        "mode": "payment",
        "url": reverse("billing:demo_checkout", kwargs={"session_id": row.id}),
        "amount_total": to_minor_units(row.amount, row.currency),
        "currency": row.currency.lower(),
        "client_reference_id": row.client_reference_id,
        "metadata": dict(row.metadata),
        "customer_email": row.customer_email,
        "payment_status": "paid" if row.status == DemoCheckoutSession.Status.COMPLETE else "unpaid",
        "status": row.status,
        "livemode": False,
    }


def _session(row: DemoCheckoutSession) -> CheckoutSession:
    return checkout_session_from_event({"data": {"object": _as_stripe_object(row)}})


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
    """Open a demo payment; its `url` is the demo payment page of this site."""
    _refuse_in_production()
    del idempotency_key  # each call opens its own session, as each of ours carries a fresh key
    row = DemoCheckoutSession.objects.create(
        id=SESSION_PREFIX + secrets.token_hex(12),
        metadata=dict(metadata),
        client_reference_id=client_reference_id,
        description=description[:300],
        amount=amount,
        currency=currency.upper(),
        customer_email=customer_email,
        success_url=success_url,
        cancel_url=cancel_url,
    )
    return _session(row)


def checkout_session_get(session_id: str) -> CheckoutSession:
    _refuse_in_production()
    row = DemoCheckoutSession.objects.filter(pk=session_id).first()
    if row is None:
        raise PaymentProviderError(f"No such demo session: {session_id}")
    return _session(row)


def session_row(session_id: str) -> DemoCheckoutSession | None:
    """The demo session, for its payment page."""
    _refuse_in_production()
    return DemoCheckoutSession.objects.filter(pk=session_id).first()


@transaction.atomic
def session_pay(session_id: str) -> tuple[bytes, str, str]:
    """Pay a demo session (again: a redelivery); return the signed event and the success address.

    The event is ``checkout.session.completed``, shaped like Stripe's; an abandoned
    session cannot be paid (PaymentProviderError).
    """
    _refuse_in_production()
    row = DemoCheckoutSession.objects.select_for_update().filter(pk=session_id).first()
    if row is None or row.status == DemoCheckoutSession.Status.EXPIRED:
        raise PaymentProviderError(f"Demo session {session_id} cannot be paid")
    if row.status != DemoCheckoutSession.Status.COMPLETE:
        row.status = DemoCheckoutSession.Status.COMPLETE
        row.save(update_fields=["status"])
    event = {
        "id": "evt_demo_" + secrets.token_hex(12),
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": _as_stripe_object(row)},
    }
    payload = json.dumps(event).encode()
    return payload, signature_header(payload), row.success_url.replace("{CHECKOUT_SESSION_ID}", row.id)


def session_decline(session_id: str) -> None:
    """The demo card is declined: the session stays open, nothing is taken (as on Stripe's page)."""
    _refuse_in_production()
    DemoCheckoutSession.objects.filter(pk=session_id, status=DemoCheckoutSession.Status.OPEN).update(
        declines=F("declines") + 1
    )


def session_abandon(session_id: str) -> str:
    """The buyer leaves the demo page: an open session expires; return where Stripe would send them."""
    _refuse_in_production()
    row = DemoCheckoutSession.objects.filter(pk=session_id).first()
    if row is None:
        raise PaymentProviderError(f"No such demo session: {session_id}")
    DemoCheckoutSession.objects.filter(pk=session_id, status=DemoCheckoutSession.Status.OPEN).update(
        status=DemoCheckoutSession.Status.EXPIRED
    )
    return row.cancel_url


def webhook_event(*, payload: bytes, signature: str) -> dict[str, Any]:
    """Return the verified demo event; raise WebhookRejected if the signature fails (Stripe's own check)."""
    _refuse_in_production()
    try:
        event = stripe.Webhook.construct_event(payload, signature, webhook_secret())
    except (ValueError, stripe.SignatureVerificationError) as error:
        raise WebhookRejected(str(error)) from error
    data: dict[str, Any] = event.to_dict()
    return data
