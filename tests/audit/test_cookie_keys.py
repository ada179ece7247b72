"""The cookie key matrix (CK-1): every registered cookie × every way a key or a value can go wrong.

A cookie sealed with the current key opens; with an older key still in ``COOKIE_KEYS``
(rotation) it opens too; with a key removed from the list, tampered, truncated, foreign (sealed
for another cookie's name), expired or garbage, it is treated as absent. Never a 5xx.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from cloudmentor.accounts.models import AccountSession
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.core import crypto
from cloudmentor.core.account_cookie import envelope_pack
from cloudmentor.core.cookies import REGISTRY
from conftest import form_token, log_in_client

pytestmark = pytest.mark.django_db

NEW, OLD, GONE = "new-key-" + "n" * 32, "old-key-" + "o" * 32, "gone-key-" + "g" * 32


def _sealed_with(key: str, name: str, value: Any, settings: Any, *, expires_at: float | None) -> str:
    settings.COOKIE_KEYS = [key]
    token = crypto.seal(name, value, expires_at=expires_at)
    settings.COOKIE_KEYS = [NEW, OLD]
    return token


def _cases(name: str, value: Any, settings: Any) -> dict[str, tuple[str, bool]]:
    """Each way the cookie `name` may come back, and whether it must open."""
    later = time.time() + 3600
    good = _sealed_with(NEW, name, value, settings, expires_at=later)
    other_name = next(other for other in REGISTRY if other != name)
    return {
        "current key": (good, True),
        "previous key still listed": (_sealed_with(OLD, name, value, settings, expires_at=later), True),
        "key removed": (_sealed_with(GONE, name, value, settings, expires_at=later), False),
        "expired": (_sealed_with(NEW, name, value, settings, expires_at=time.time() - 1), False),
        "sealed for another cookie": (_sealed_with(NEW, other_name, value, settings, expires_at=later), False),
        "tampered": (good[:-2] + ("AA" if good[-2:] != "AA" else "BB"), False),
        "truncated": (good[: len(good) // 2], False),
        "empty": ("", False),
        "garbage": ("%%%not base64 at all", False),
        "plain value": (json.dumps(value) if not isinstance(value, str) else value, False),
    }


CASES = [
    "current key",
    "previous key still listed",
    "key removed",
    "expired",
    "sealed for another cookie",
    "tampered",
    "truncated",
    "empty",
    "garbage",
    "plain value",
]


@pytest.mark.parametrize("case", CASES)
def test_the_account_cookie_opens_only_when_sealed_with_a_listed_key(settings: Any, case: str) -> None:
    settings.COOKIE_KEYS = [NEW, OLD]
    member = UserFactory(username="alice", email="alice@example.org")
    log_in_client(Client(), member)
    session = AccountSession.objects.get(user=member)
    name = django_settings.SESSION_COOKIE_NAME
    envelope = envelope_pack(session_key=session.session_key, username="alice", email="alice@example.org")
    token, opens = _cases(name, envelope, settings)[case]
    client = Client(raise_request_exception=False)
    client.cookies[name] = token

    response = client.get("/account/")

    assert response.status_code < 500
    assert (response.status_code == 200) is opens, (case, response.status_code)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("form", ["login", "register", "recover", "contact", "newsletter"])
def test_a_form_cookie_opens_only_when_sealed_with_a_listed_key(settings: Any, form: str, case: str) -> None:
    """A form sent with its cookie in each state: accepted, or re-shown as expired (CK-3) — never a 5xx."""
    settings.COOKIE_KEYS = [NEW, OLD]
    url = {
        "login": "/accounts/login/",
        "register": "/accounts/register/",
        "recover": "/accounts/password/forgot/",
        "contact": "/contact/",
        "newsletter": "/newsletter/",
    }[form]
    client = Client(raise_request_exception=False)
    page = client.get(url)
    name = f"cm_form_{form}"
    issued = crypto.unseal(name, page.cookies[name].value)
    token, opens = _cases(name, issued, settings)[case]
    client.cookies[name] = token

    response = client.post(url, {"form_token": form_token(page)})

    assert response.status_code < 500, (form, case)
    refused_as_expired = response.status_code == 400
    assert refused_as_expired is not opens, (form, case, response.status_code)
