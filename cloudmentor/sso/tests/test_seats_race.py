"""Races on the last seats (PV-1, ID-1): colleagues signing in at the same instant never overfill the group.

Run on PostgreSQL (``scripts/with-postgres.sh .venv/bin/pytest cloudmentor/sso``).
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import Group, GroupMembership, User
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.sso import services
from cloudmentor.sso.exceptions import SeatsFull
from cloudmentor.sso.models import SignIn, SsoLink
from conftest import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_pv1_six_colleagues_signing_in_at_once_for_two_free_seats_get_exactly_two() -> None:
    """Two seats left (owner included in three): two accounts are created and seated, four read « places prises »."""
    owner = UserFactory(username="olga", email="olga@acme.example")
    group = accounts_services.group_create(owner=owner, name="Acme")
    Group.objects.filter(pk=group.pk).update(seats=3)
    provider = services.identity_provider_save(
        group=group,
        issuer="https://idp.acme.example",
        client_id="c",
        client_secret="s",
        domains=["acme.example"],
        require_sso=False,
    )
    now = timezone.now()
    sign_ins = [
        SignIn.objects.create(
            key_hash=f"{n:064x}",
            provider=provider,
            state="s",
            nonce="n",
            code_verifier="v",
            expires_at=now + timedelta(minutes=5),
        )
        for n in range(6)
    ]
    claims = [
        {"sub": f"sub-{n}", "email": f"c{n}@acme.example", "email_verified": True, "iat": int(time.time())}
        for n in range(6)
    ]

    results = race(6, lambda n: services.sign_in_resolve(sign_ins[n], claims[n]))

    seated = [result for result in results if isinstance(result, services.SignInResult)]
    assert len(seated) == 2, results
    assert sum(isinstance(result, SeatsFull) for result in results) == 4, results
    assert GroupMembership.objects.filter(group=group).count() == 3
    assert User.objects.filter(email__endswith="@acme.example").count() == 3  # the owner and two colleagues
    assert SsoLink.objects.count() == 2
