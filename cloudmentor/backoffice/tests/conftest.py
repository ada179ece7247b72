from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from cloudmentor.accounts.tests.factories import PASSWORD, StaffFactory

_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fresh_throttles() -> None:
    cache.clear()  # login throttling counters


def log_in(client: Client, username: str) -> Any:
    """Log in through the site's login form, as a browser does."""
    url = reverse("accounts:login")
    token = _FORM_TOKEN.search(client.get(url).content.decode())
    assert token, "the login page has no form_token field"
    return client.post(url, {"form_token": token.group(1), "identifier": username, "password": PASSWORD})


def verify(client: Client, user: Any) -> Any:
    """Give the TOTP code of a new device of `user`, as the staff site asks after the password."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    token = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return client.post(reverse("accounts:staff_verify"), {"token": f"{token:06d}"})


def staff_client_for(user: Any) -> Client:
    client = Client()
    assert log_in(client, user.username).status_code == 302
    assert verify(client, user).status_code == 302
    return client


@pytest.fixture
def staff(db: None) -> Any:
    return StaffFactory(username="sam", email="sam@example.org")


@pytest.fixture
def staff_client(staff: Any) -> Client:
    """A superuser logged in with password and TOTP code, as the staff site requires."""
    return staff_client_for(staff)
