from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import User
from cloudmentor.billing import services as billing_services
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning.lessonpage import local_pages_forget
from cloudmentor.learning.services import creator_group_ensure
from conftest import log_in_client

from .factories import StaffFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Pages, renderings and throttles live in the cache (and lesson pages in memory): start every test clean."""
    cache.clear()
    local_pages_forget()
    yield
    cache.clear()
    local_pages_forget()


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings: Any, tmp_path: Any) -> None:
    """Files written by the tests (resources of the demo catalog) never land in var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def access(db: None) -> Callable[..., None]:
    """Give a member a plan level for `days`, through billing's free-access grant (TM-4)."""

    def grant(user: User, level: int, days: int = 30) -> None:
        now = timezone.now()
        billing_services.subscription_grant(
            holder=user,
            access_level=level,
            starts_at=now,
            ends_at=now + timedelta(days=days),
            actor=None,
            reason="test",
        )

    return grant


@pytest.fixture
def member(db: None) -> User:
    return UserFactory(username="alice", email="alice@example.org", first_name="Alice", last_name="Martin")


@pytest.fixture
def member_client(member: User) -> Client:
    return log_in_client(Client(), member)


@pytest.fixture
def subscriber(member: User, access: Callable[[User, int], None]) -> User:
    access(member, AccessLevel.EXPERT)
    return member


def _verified(client: Client, user: User) -> Client:
    device = accounts_services.staff_totp_device_create(user=user)
    log_in_client(client, user)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    response = client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"})
    assert response.status_code == 302, response.content[:300]
    return client


@pytest.fixture
def staff(db: None) -> User:
    return StaffFactory(username="root", email="root@cloudmentor.example")


@pytest.fixture
def staff_client(staff: User) -> Client:
    """A staff member in the staff site (password and TOTP)."""
    return _verified(Client(), staff)


@pytest.fixture
def creator(db: None) -> User:
    """A content creator: a staff account (no superuser) in the creators' group."""
    user = UserFactory(username="claire", email="claire@cloudmentor.example", is_staff=True)
    user.groups.add(creator_group_ensure())
    return User.objects.get(pk=user.pk)


@pytest.fixture
def creator_client(creator: User) -> Client:
    return _verified(Client(), creator)


def csrf_token(response: Any) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert match, "no CSRF token in the page"
    return match.group(1)
