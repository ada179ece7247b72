"""LX-8, ID-2: the demo group shows SCIM provisioning with a plausible history, loaded once."""

from __future__ import annotations

import pytest

from cloudmentor.accounts.models import GroupMembership
from cloudmentor.demo.services import demo_load
from cloudmentor.scim.models import ScimEvent, ScimToken, ScimUser

pytestmark = pytest.mark.django_db


def test_lx8_id2_the_demo_group_has_a_directory_token_and_its_history_once() -> None:
    demo_load()
    demo_load()

    token = ScimToken.objects.get()
    assert token.group.owner.username == "equipe"
    assert ScimUser.objects.filter(group=token.group).count() == 2
    kinds = sorted(ScimEvent.objects.filter(group=token.group).values_list("kind", flat=True))
    assert kinds == ["token_created", "user_created", "user_created", "user_deactivated"]
    members = set(GroupMembership.objects.filter(group=token.group).values_list("user__email", flat=True))
    assert "camille.martin@acme.example" in members and "yanis.benali@acme.example" not in members
