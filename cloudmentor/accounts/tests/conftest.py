from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.core import crypto
from conftest import csrf_post, form_token, submit  # noqa: F401 - shared helpers, re-exported

from .factories import PASSWORD, UserFactory

LOGIN_URL = "/accounts/login/"


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
