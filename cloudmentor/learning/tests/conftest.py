from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp.oath import totp

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import User
from cloudmentor.billing import selectors as billing_selectors
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning.services import creator_group_ensure
from conftest import log_in_client

from .factories import StaffFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Pages, renderings and throttles live in the cache: start every test clean."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings: Any, tmp_path: Any) -> None:
    """Files written by the tests (resources of the demo catalog) never land in var/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def access(monkeypatch: pytest.MonkeyPatch) -> Callable[[User, int], None]:
    """Give a member a plan level, as billing's entitlements would (`user_access_level`)."""
    levels: dict[int, int] = {}
    original = billing_selectors.user_access_level

    def user_access_level(*, user: Any) -> AccessLevel:
        if user is not None and getattr(user, "pk", None) in levels:
            return AccessLevel(levels[user.pk])
        return original(user=user)

    monkeypatch.setattr(billing_selectors, "user_access_level", user_access_level)

    def grant(user: User, level: int) -> None:
        levels[user.pk] = level

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
