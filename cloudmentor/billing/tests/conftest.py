from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from cloudmentor.accounts.tests.factories import PASSWORD

from .fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe

_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Throttle counters live in the cache: start every test clean."""
    cache.clear()
    yield
    cache.clear()


def form_token(response: Any) -> str:
    match = _TOKEN.search(response.content.decode())
    assert match, "the page has no form_token field"
    return match.group(1)


def submit(client: Client, url: str, data: dict[str, Any], **extra: Any) -> Any:
    """Show a visitor form (getting its cookie), then post it as a browser would."""
    page = client.get(url, **extra)
    return client.post(url, {"form_token": form_token(page), **data}, **extra)


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
