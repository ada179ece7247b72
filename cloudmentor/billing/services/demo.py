"""The demo payment page's three buttons (BZ-1): pay, card declined, abandon.

"Pay" hands the provider's signed event to `payment_webhook_handle`, the service behind
Stripe's webhook: the payment is recorded by the same code as a real one.
"""

from __future__ import annotations

from ..models import DemoCheckoutSession
from ..providers import DEMO, demo
from .stripe import payment_webhook_handle


def demo_checkout_get(*, session_id: str) -> DemoCheckoutSession | None:
    """Return a demo session for its payment page (None: unknown). Raises DemoProviderRefused in production."""
    return demo.session_row(session_id)


def demo_checkout_pay(*, session_id: str) -> str:
    """Pay a demo session through the signed-webhook path; return the success address to send the buyer to."""
    payload, signature, success_url = demo.session_pay(session_id)
    payment_webhook_handle(provider=DEMO, payload=payload, signature=signature)
    return success_url


def demo_checkout_decline(*, session_id: str) -> None:
    """Decline the demo card: nothing is taken, the page offers to try again."""
    demo.session_decline(session_id)


def demo_checkout_abandon(*, session_id: str) -> str:
    """Leave the demo page; return the cancel address (the invoice, or the donation's "cancelled" page)."""
    return demo.session_abandon(session_id)
