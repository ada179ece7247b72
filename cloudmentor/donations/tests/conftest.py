from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .fake_stripe import SECRET_KEY, WEBHOOK_SECRET, DonationFakeStripe


@pytest.fixture
def fake_stripe(settings: Any) -> Iterator[DonationFakeStripe]:
    """The fake Stripe API on a local port, with the platform configured to use it."""
    fake = DonationFakeStripe().start()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.BILLING_STRIPE_API_BASE = fake.base
    settings.BILLING_STRIPE_CHECKOUT_ORIGIN = fake.base
    yield fake
    fake.stop()
