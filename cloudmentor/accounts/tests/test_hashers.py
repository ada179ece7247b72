"""Password hashing cost (PV-2, decision 0093): Argon2id at OWASP's parameters, older hashes upgraded on login."""

from __future__ import annotations

from typing import Any

import argon2
import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password
from django.test import Client

from cloudmentor import settings as production
from cloudmentor.accounts.models import User

from .conftest import log_in
from .factories import PASSWORD

pytestmark = pytest.mark.django_db

# OWASP Password Storage Cheat Sheet: Argon2id, 19 MiB of memory, 2 iterations, 1 lane.
OWASP = {"type": argon2.Type.ID, "memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1}


def _parameters(encoded: str) -> dict[str, Any]:
    found = argon2.extract_parameters("$" + encoded.split("$", 1)[1])
    return {
        "type": found.type,
        "memory_cost": found.memory_cost,
        "time_cost": found.time_cost,
        "parallelism": found.parallelism,
    }


@pytest.fixture
def production_hashers(settings: Any) -> None:
    settings.PASSWORD_HASHERS = production.PASSWORD_HASHERS


def test_pv2_new_passwords_are_hashed_with_argon2id_at_owasps_parameters(production_hashers: None) -> None:
    """The production hasher stores Argon2id with m=19 MiB, t=2, p=1 under Django's `argon2` prefix."""
    encoded = make_password(PASSWORD)

    assert encoded.startswith("argon2$argon2id$")
    assert _parameters(encoded) == OWASP
    assert check_password(PASSWORD, encoded)
    assert not check_password("another passphrase", encoded)


def test_pv2_a_hash_at_djangos_default_parameters_still_opens_and_is_upgraded_on_login(
    client: Client, production_hashers: None
) -> None:
    """A member whose hash predates decision 0093 logs in as before; the hash is rewritten at the new cost."""
    old = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())
    assert _parameters(old) != OWASP
    member = User.objects.create(username="alice", email="alice@example.org", password=old)

    response = log_in(client, "alice")

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.password != old
    assert _parameters(member.password) == OWASP
    assert member.check_password(PASSWORD)
