from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.operations.models import MaintenanceWindow
from conftest import log_in_client

# Thursday 3 December 2026, 22:00 to 23:30 in Paris (UTC+1 in winter).
START = datetime(2026, 12, 3, 21, 0, tzinfo=UTC)
END = datetime(2026, 12, 3, 22, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def window_create(**fields: Any) -> MaintenanceWindow:
    """A window stored as it is (tests move the clock around it freely)."""
    values: dict[str, Any] = {"starts_at": START, "ends_at": END, "created_at": START - timedelta(days=10)}
    values.update(fields)
    return MaintenanceWindow.objects.create(**values)


def totp_code(device: Any) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


@pytest.fixture
def member(db: None) -> User:
    return UserFactory(username="alice", email="alice@example.org")


@pytest.fixture
def staff(db: None) -> User:
    return StaffFactory(username="root", email="root@cloudmentor.example")


def staff_in(staff: User) -> Client:
    """A client of a staff member in the staff site (password and TOTP code), logged in at the clock's time."""
    device = accounts_services.staff_totp_device_create(user=staff)
    client = log_in_client(Client(), staff)
    response = client.post("/accounts/staff/verify/", {"token": totp_code(device), "next": "/staff/"})
    assert response.status_code == 302, response.content[:300]
    return client
