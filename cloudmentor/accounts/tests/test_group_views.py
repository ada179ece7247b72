"""The group page's actions for a person who has no group (PV-1)."""

from __future__ import annotations

import pytest
from django.test import Client

from cloudmentor.accounts.models import GroupInvitation
from cloudmentor.accounts.tests.conftest import csrf_post
from cloudmentor.accounts.tests.factories import UserFactory
from conftest import log_in_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("action", ["invite", "revoke", "remove", "leave", "no-such-action"])
def test_pv1_an_owner_action_without_a_group_is_refused_in_the_users_language(action: str) -> None:
    """Someone without a group who posts an owner's action gets a clear refusal, never a server error."""
    client = log_in_client(Client(enforce_csrf_checks=True), UserFactory())

    response = csrf_post(
        client, "/en/account/group/", {"action": action, "email": "x@example.org"}, page="/en/account/group/"
    )

    assert response.status_code == 400
    assert "group" in response.content.decode().lower()
    assert not GroupInvitation.objects.exists()
