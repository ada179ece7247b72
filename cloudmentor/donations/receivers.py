"""Receivers of the signals lower apps send (connected in ``DonationsConfig.ready``)."""

from __future__ import annotations

from typing import Any

from cloudmentor.billing.services import CheckoutSession

from .services import donation_checkout_completed


def donation_checkout_session_completed(sender: Any, *, session: CheckoutSession, **kwargs: Any) -> bool:
    """Take the paid Checkout Sessions opened for a donation (``metadata.donation_id``)."""
    if "donation_id" not in session.metadata:
        return False
    donation_checkout_completed(session=session)
    return True
