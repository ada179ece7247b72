"""Races on a group's seats (PV-1): many invited people joining at once never overfill it.

Run on PostgreSQL (``scripts/with-postgres.sh .venv/bin/pytest cloudmentor/accounts``).
"""

from __future__ import annotations

import pytest

from cloudmentor.accounts import services
from cloudmentor.accounts.exceptions import NoSeatLeft
from cloudmentor.accounts.models import Group, GroupInvitation
from cloudmentor.accounts.services import invitation_token_hash
from conftest import race

from .factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_pv1_eight_people_joining_a_group_with_three_free_seats_at_once_fill_exactly_three() -> None:
    owner = UserFactory(username="olga", email="olga@example.org")
    group = services.group_create(owner=owner, name="Équipe")
    Group.objects.filter(pk=group.pk).update(seats=20)  # room for eight invitations...
    tokens = []
    people = []
    for n in range(8):
        person = UserFactory(username=f"p{n}", email=f"p{n}@example.org")
        token = f"{n:064x}"
        GroupInvitation.objects.create(
            group=group,
            email=person.email,
            token_hash=invitation_token_hash(token),
            expires_at=group.created_at.replace(year=group.created_at.year + 1),
        )
        tokens.append(token)
        people.append(person)
    Group.objects.filter(pk=group.pk).update(seats=4)  # ...then the plan holds four, owner included

    results = race(8, lambda n: services.group_join(user=people[n], token=tokens[n]))

    joined = [result for result in results if isinstance(result, Group)]
    refused = [result for result in results if isinstance(result, NoSeatLeft)]
    assert (len(joined), len(refused)) == (3, 5), results
    assert group.memberships.count() == 4
    assert GroupInvitation.objects.filter(accepted_at__isnull=False).count() == 3
