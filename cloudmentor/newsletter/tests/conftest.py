from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import UserFactory
from conftest import body_text

UNSUBSCRIBE_LINK = re.compile(r"https?://[^\s]+/newsletter/unsubscribe/([^/\s]+)/")
CONFIRM_LINK = re.compile(r"https?://[^\s]+/newsletter/confirm/([^/\s]+)/")


@pytest.fixture
def member(db: None) -> User:
    return UserFactory(username="alice", email="alice@example.org")


@pytest.fixture
def member_client(member: User) -> Client:
    from cloudmentor.accounts.tests.conftest import log_in

    client = Client(enforce_csrf_checks=True)
    assert log_in(client, "alice").status_code == 302
    return client


def link_path(text: str, pattern: re.Pattern[str]) -> str:
    """Return the path of the first link `pattern` finds in an email's text (no host)."""
    match = pattern.search(text)
    assert match, text
    url = match.group(0)
    return url[url.index("/", len("https://")) :]


def text_of(message: Any) -> str:
    """The plain-text body of a locmem email (EmailMessage) or a received one (Message)."""
    return message.body if hasattr(message, "body") else body_text(message)


@pytest.fixture
def staff(db: None) -> User:
    from cloudmentor.accounts.tests.factories import StaffFactory

    return StaffFactory(username="root", email="root@cloudmentor.example")


@pytest.fixture
def staff_client(staff: User) -> Client:
    """A staff member in the staff site (password, then TOTP code)."""
    from django_otp.oath import totp

    from cloudmentor.accounts.services import staff_totp_device_create
    from cloudmentor.accounts.tests.conftest import log_in

    client = Client()
    device = staff_totp_device_create(user=staff)
    log_in(client, "root")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    response = client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"})
    assert response["Location"] == "/staff/"
    return client
