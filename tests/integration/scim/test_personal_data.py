"""PV-9, PV-10 for SCIM (ID-2): the export holds what the directory sent and the history; erasure removes them."""

from __future__ import annotations

import json

import pytest

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import User
from cloudmentor.scim.models import ScimEvent, ScimToken, ScimUser
from cloudmentor.scim.tests.factories import ScimClient, group_with_seats, patch_op, token_for, user_document

pytestmark = pytest.mark.django_db


def _provisioned(user_name: str = "ada@corp.example") -> tuple[ScimClient, User, dict[str, object]]:
    group = group_with_seats(5)
    _token, raw = token_for(group)
    scim = ScimClient(raw)
    document = scim.post("Users", user_document(user_name, externalId="00u-ada")).data
    return scim, User.objects.get(email=user_name), document


def _export(user: User) -> dict[str, object]:
    chunks = accounts_services.account_data_export(user=user, ip="127.0.0.1", user_agent="pytest")
    return json.loads(b"".join(chunks))  # type: ignore[no-any-return]


def test_pv9_the_export_holds_what_the_directory_sent_and_the_history() -> None:
    scim, user, document = _provisioned()
    scim.patch(f"Users/{document['id']}", patch_op({"op": "replace", "path": "displayName", "value": "Ada L."}))

    section = _export(user)["sections"]["scim"]  # type: ignore[index]

    (record,) = section["provisioned_records"]
    assert record["user_name"] == "ada@corp.example"
    assert record["external_id"] == "00u-ada"
    assert record["attributes"]["displayName"] == "Ada L."
    assert [line["event"] for line in section["history"]] == ["Membre provisionné", "Membre modifié"]


def test_pv10_erasure_removes_the_record_and_the_history_about_the_member() -> None:
    """The member's erasure deletes what the directory sent and the lines naming them; others' lines stay."""
    scim, user, _document = _provisioned()
    scim.post("Users", user_document("bob@corp.example"))

    accounts_services.account_erase(user=user, actor=None)

    assert not ScimUser.objects.filter(user=user).exists()
    assert not ScimEvent.objects.filter(user=user).exists()
    assert ScimEvent.objects.filter(user_name="bob@corp.example").exists()
    assert ScimUser.objects.filter(user_name="bob@corp.example").exists()


def test_pv10_an_owners_erasure_removes_the_groups_tokens() -> None:
    group = group_with_seats(2)
    token_for(group)

    accounts_services.account_erase(user=group.owner, actor=None)

    assert not ScimToken.objects.exists()
    assert not ScimEvent.objects.filter(actor=group.owner).exists()
