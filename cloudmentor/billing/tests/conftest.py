from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from cloudmentor.accounts.tests.factories import PASSWORD
from conftest import csrf_post, form_token, submit  # noqa: F401 - shared helpers, re-exported

from .fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe


def log_in(client: Client, identifier: str, password: str = PASSWORD) -> Any:
    response = submit(client, "/accounts/login/", {"identifier": identifier, "password": password})
    assert response.status_code == 302, response.content[:300]
    return response


@pytest.fixture
def fake_stripe(settings: Any) -> Iterator[FakeStripe]:
    """The fake Stripe API on a local port, with the platform configured to use it."""
    fake = FakeStripe().start()
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.BILLING_STRIPE_API_BASE = fake.base
    settings.BILLING_STRIPE_CHECKOUT_ORIGIN = fake.base
    yield fake
    fake.stop()
