from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from cloudmentor.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from cloudmentor.analytics import spool
from cloudmentor.analytics.ingestion import IngestReport, spool_ingest
from cloudmentor.analytics.models import RequestRecord

_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@pytest.fixture(autouse=True)
def spool_dir(settings: Any, tmp_path: Path) -> Iterator[Path]:
    """Give every test its own spool folder, and a writer that starts a fresh file in it."""
    cache.clear()  # login throttling counters
    directory = tmp_path / "spool"
    settings.ANALYTICS_SPOOL_DIR = directory
    spool.writer.close()
    yield directory
    spool.writer.close()


def ingest() -> IngestReport:
    """Store what the spool holds (the scheduler's job, run at once)."""
    return spool_ingest()


def records() -> list[RequestRecord]:
    ingest()
    return list(RequestRecord.objects.order_by("requested_at", "pk"))


def log_in(client: Client, username: str, **extra: Any) -> Any:
    """Log in through the site's login form, as a browser does."""
    url = reverse("accounts:login")
    page = client.get(url, **extra)
    token = _FORM_TOKEN.search(page.content.decode())
    assert token, "the login page has no form_token field"
    return client.post(url, {"form_token": token.group(1), "identifier": username, "password": PASSWORD}, **extra)


@pytest.fixture
def member(db: None) -> Any:
    return UserFactory(username="alice", email="alice@example.org")


@pytest.fixture
def member_client(member: Any) -> Client:
    client = Client()
    assert log_in(client, member.username).status_code == 302
    return client


@pytest.fixture
def staff_client(db: None) -> Client:
    """A staff member logged in with password and TOTP code, as the staff site requires."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    staff = StaffFactory(username="sam", email="sam@example.org")
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client = Client()
    assert log_in(client, staff.username).status_code == 302
    token = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    response = client.post(reverse("accounts:staff_verify"), {"token": f"{token:06d}"})
    assert response.status_code == 302, response.content[:300]
    assert client.get(reverse("admin:index")).status_code == 200
    return client
