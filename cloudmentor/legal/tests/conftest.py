from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.legal import services
from cloudmentor.legal.models import PolicyDocument, PolicyKind
from conftest import csrf_post, log_in_client  # noqa: F401 - shared helpers, re-exported

from .factories import DraftFactory


@pytest.fixture
def member(db: None) -> User:
    return UserFactory(username="alice", email="alice@example.org", language="fr")


@pytest.fixture
def member_client(member: User) -> Client:
    return log_in_client(Client(), member)


@pytest.fixture
def staff(db: None) -> User:
    return StaffFactory(username="root", email="root@cloudmentor.example")


@pytest.fixture
def staff_client(staff: User) -> Client:
    """A staff member in the staff site (password and TOTP)."""
    client = log_in_client(Client(), staff)
    device = accounts_services.staff_totp_device_create(user=staff)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    response = client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"})
    assert response.status_code == 302, response.content[:300]
    return client


@pytest.fixture
def publish(db: None, django_capture_on_commit_callbacks: Any) -> Callable[..., PolicyDocument]:
    """Write and publish a new version (after-commit work included: emails, cache)."""

    def publish_new(kind: str = PolicyKind.TERMS, by: User | None = None, **fields: Any) -> PolicyDocument:
        draft = DraftFactory(kind=kind, **fields)
        with django_capture_on_commit_callbacks(execute=True):
            return services.policy_publish(document=draft, by=by)

    return publish_new
