"""Races on the seats through SCIM (ID-2, PV-1): a directory pushing many people at once never overfills the group.

Run on PostgreSQL (``scripts/with-postgres.sh .venv/bin/pytest cloudmentor/scim``).
"""

from __future__ import annotations

import pytest

from cloudmentor.accounts.models import GroupMembership
from cloudmentor.scim.exceptions import ScimError
from cloudmentor.scim.models import ScimEvent, ScimUser
from cloudmentor.scim.services import scim_user_create
from conftest import race

from .factories import group_with_seats, token_for, user_document

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_id2_eight_creates_at_once_with_three_free_seats_provision_exactly_three() -> None:
    group = group_with_seats(4)  # the owner and three
    token, _raw = token_for(group)

    results = race(
        8,
        lambda n: scim_user_create(token=token, data=user_document(f"p{n}@corp.example"), language="fr"),
    )

    created = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, ScimError) and r.status == 409]
    assert (len(created), len(refused)) == (3, 5), results
    assert GroupMembership.objects.filter(group=group).count() == 4
    assert ScimUser.objects.filter(group=group).count() == 3
    assert ScimEvent.objects.filter(group=group, kind=ScimEvent.Kind.REFUSED).count() == 5


def test_id2_the_same_user_name_pushed_twice_at_once_is_created_once() -> None:
    group = group_with_seats(10)
    token, _raw = token_for(group)

    results = race(
        4,
        lambda n: scim_user_create(
            token=token, data=user_document("ADA@corp.example" if n % 2 else "ada@corp.example"), language="fr"
        ),
    )

    assert len([r for r in results if isinstance(r, tuple)]) == 1, results
    assert all(isinstance(r, ScimError) and r.scim_type == "uniqueness" for r in results if not isinstance(r, tuple))
    assert ScimUser.objects.filter(group=group).count() == 1
