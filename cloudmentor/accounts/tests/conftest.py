from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.core import crypto

from .factories import PASSWORD, UserFactory

LOGIN_URL = "/accounts/login/"
_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Throttle counters and last-seen marks live in the cache: start every test clean."""
    cache.clear()
    yield
    cache.clear()


def form_token(response: Any) -> str:
    match = _TOKEN.search(response.content.decode())
    assert match, "the page has no form_token field"
    return match.group(1)


def submit(client: Client, url: str, data: dict[str, Any], **extra: Any) -> Any:
    """Show a form (getting its cookie), then post it as a browser would."""
    page = client.get(url, **extra)
    return client.post(url, {"form_token": form_token(page), **data}, **extra)


_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_post(client: Client, url: str, data: dict[str, Any] | None = None, *, page: str = "/", **extra: Any) -> Any:
    """Post as a logged-in browser would: with the CSRF token a page of the site carries."""
    match = _CSRF.search(client.get(page, **extra).content.decode())
    assert match, f"{page} carries no CSRF token"
    return client.post(url, {"csrfmiddlewaretoken": match.group(1), **(data or {})}, **extra)


def log_in(client: Client, identifier: str, password: str = PASSWORD, **extra: Any) -> Any:
    return submit(client, LOGIN_URL, {"identifier": identifier, "password": password}, **extra)


def cookie_value(response_or_client: Any, name: str) -> Any:
    """Return the decrypted value of a cookie a response set (or a client holds)."""
    cookies = response_or_client.cookies
    return crypto.unseal(name, cookies[name].value)


def envelope(response_or_client: Any) -> dict[str, str]:
    return dict(json.loads(cookie_value(response_or_client, "cm_account")))


@pytest.fixture
def client() -> Client:
    """A test client that checks CSRF like a browser's server would (Django's default does not)."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def member(db: None) -> User:
    return UserFactory(username="alice", email="alice@example.org")


@pytest.fixture
def member_client(client: Client, member: User) -> Client:
    response = log_in(client, "alice")
    assert response.status_code == 302, response.content[:500]
    return client
