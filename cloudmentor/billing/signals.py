"""Signals billing sends to the apps above it (STYLE.md section 1: reaching upward)."""

from __future__ import annotations

from django.dispatch import Signal

# A paid Checkout Session that names no invoice (``metadata`` tells whose it is), sent by
# the Stripe webhook and inside its transaction. Receivers get ``session``
# (providers.stripe_checkout.CheckoutSession) and return True when the session was theirs.
checkout_session_completed = Signal()
