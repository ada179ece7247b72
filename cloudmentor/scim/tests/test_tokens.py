"""Bearer tokens per group (ID-2): created and revoked by the owner, shown once, stored hashed; the owner's page."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.test import Client

from cloudmentor.accounts.exceptions import NotGroupOwner
from cloudmentor.accounts.models import Group
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.scim.models import ScimEvent, ScimToken
from cloudmentor.scim.services import token_revoke
from conftest import csrf_post, log_in_client

from .factories import ScimClient, group_with_seats, token_for, user_document

pytestmark = pytest.mark.django_db

PAGE = "/account/group/scim/"


@pytest.fixture
def group() -> Group:
    return group_with_seats(5)


def _owner_client(group: Group) -> Client:
    return log_in_client(Client(enforce_csrf_checks=True), group.owner)


def test_id2_the_owner_creates_a_token_that_is_shown_once_and_stored_hashed(group: Group) -> None:
    """The page shows the new token on the answer to the POST only; the database holds its SHA-256."""
    client = _owner_client(group)

    response = csrf_post(client, PAGE, {"action": "create", "name": "Okta"}, page=PAGE)

    assert response.status_code == 200
    raw = re.search(r'id="scim-token-value" type="text" readonly value="([^"]+)"', response.content.decode())
    assert raw is not None
    token = ScimToken.objects.get(group=group)
    assert token.token_hash == hashlib.sha256(raw.group(1).encode()).hexdigest()
    assert raw.group(1) not in str(ScimToken.objects.values().get())
    assert response["Cache-Control"].startswith("max-age=0")
    again = client.get(PAGE).content.decode()
    assert raw.group(1) not in again and "Okta" in again
    assert ScimClient(raw.group(1)).get("Users").status_code == 200


def test_id2_a_revoked_token_is_refused_with_a_scim_401(group: Group) -> None:
    """Revoked from the page, the token gets 401 in SCIM's format at its next request; the history says who and when."""
    token, raw = token_for(group)
    client = _owner_client(group)

    response = csrf_post(client, PAGE, {"action": "revoke", "token": str(token.pk)}, page=PAGE)

    assert response.status_code == 302
    refused = ScimClient(raw).get("Users")
    assert refused.status_code == 401
    assert refused.data["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert refused["WWW-Authenticate"].startswith("Bearer")
    kinds = list(ScimEvent.objects.filter(group=group).values_list("kind", flat=True))
    assert kinds == [ScimEvent.Kind.TOKEN_REVOKED, ScimEvent.Kind.TOKEN_CREATED]


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer nope", "Basic dXNlcjpwYXNz", "bearer cmscim_x"])
def test_id2_a_missing_or_unknown_token_is_a_scim_401(group: Group, header: str) -> None:
    response = Client().get("/scim/v2/Users", HTTP_AUTHORIZATION=header)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/scim+json"


def test_id2_another_groups_token_sees_nothing_of_this_group(group: Group) -> None:
    """Each token reaches its own group only: another group's resource is a 404, its list is empty."""
    _token, raw = token_for(group)
    mine = ScimClient(raw).post("Users", user_document("ada@corp.example")).data
    _other_token, other_raw = token_for(group_with_seats(5))
    other = ScimClient(other_raw)

    assert other.get(f"Users/{mine['id']}").status_code == 404
    assert other.patch(f"Users/{mine['id']}", {"Operations": [{"op": "remove", "path": "emails"}]}).status_code == 404
    assert other.delete(f"Users/{mine['id']}").status_code == 404
    assert other.get("Users").data["totalResults"] == 0


def test_tm2_only_the_owner_manages_tokens(group: Group) -> None:
    """A member of the group, or someone else, gets 403 on the page and cannot revoke; a visitor is sent to log in."""
    token, _raw = token_for(group)
    stranger = log_in_client(Client(enforce_csrf_checks=True), UserFactory())

    assert stranger.get(PAGE).status_code == 403
    assert csrf_post(stranger, PAGE, {"action": "revoke", "token": str(token.pk)}, page="/account/").status_code == 403
    assert Client().get(PAGE).status_code == 302
    with pytest.raises(NotGroupOwner):
        token_revoke(group=group, actor=UserFactory(), token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None


def test_id2_the_page_is_in_english_too_and_linked_from_the_group_page(group: Group) -> None:
    client = _owner_client(group)

    english = client.get("/en" + PAGE)
    group_page = client.get("/account/group/").content.decode()

    assert english.status_code == 200
    assert "SCIM provisioning" in english.content.decode()
    assert 'href="/account/group/scim/"' in group_page


def test_id2_a_token_with_an_empty_name_is_refused_on_the_page(group: Group) -> None:
    response = csrf_post(_owner_client(group), PAGE, {"action": "create", "name": ""}, page=PAGE)

    assert response.status_code == 400
    assert not ScimToken.objects.exists()


def test_pv3_the_groups_history_shows_each_change_to_the_owner(group: Group) -> None:
    """Tokens created and revoked, people provisioned and deactivated: each a line on the owner's page."""
    _token, raw = token_for(group)
    scim = ScimClient(raw)
    ada = scim.post("Users", user_document("ada@corp.example")).data
    scim.patch(f"Users/{ada['id']}", {"Operations": [{"op": "replace", "path": "active", "value": False}]})
    scim.delete(f"Users/{ada['id']}")

    page = _owner_client(group).get(PAGE).content.decode()

    kinds = re.findall(r'data-event="([a-z_]+)"', page)
    assert kinds == ["user_deleted", "user_deactivated", "user_created", "token_created"]
    assert "ada@corp.example" in page
