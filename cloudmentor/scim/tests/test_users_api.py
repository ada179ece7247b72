"""The SCIM Users API (ID-2, RFC 7644): provisioning takes and frees the group's seats, every change in its history."""

from __future__ import annotations

import pytest
from django.test import Client

from cloudmentor.accounts.models import AccountSession, Group, GroupMembership, User
from cloudmentor.accounts.services import group_invite
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.scim.models import ScimEvent, ScimUser
from conftest import log_in_client

from .factories import ScimClient, group_with_seats, patch_op, token_for, user_document

pytestmark = pytest.mark.django_db

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"


@pytest.fixture
def group() -> Group:
    return group_with_seats(3)


@pytest.fixture
def scim(group: Group) -> ScimClient:
    _token, raw = token_for(group)
    return ScimClient(raw)


def _create(scim, user_name: str = "ada@corp.example", **extra: object) -> dict[str, object]:
    response = scim.post("Users", user_document(user_name, **extra))  # type: ignore[arg-type]
    assert response.status_code == 201, response.data
    return response.data  # type: ignore[no-any-return]


def test_id2_creating_a_user_makes_a_member_who_takes_a_seat(group: Group, scim: ScimClient) -> None:
    """POST /Users creates an account with no usable password, joins it to the group, and records it."""
    response = scim.post("Users", user_document("ada@corp.example"))

    assert response.status_code == 201
    assert response["Content-Type"] == "application/scim+json"
    assert response["Location"].endswith(f"/scim/v2/Users/{response.data['id']}")
    assert response.data["userName"] == "ada@corp.example"
    assert response.data["active"] is True
    assert response.data["meta"]["resourceType"] == "User"
    user = User.objects.get(email="ada@corp.example")
    assert not user.has_usable_password()
    assert GroupMembership.objects.filter(group=group, user=user).exists()
    event = ScimEvent.objects.get(group=group, kind=ScimEvent.Kind.USER_CREATED)
    assert event.user == user and event.token is not None


def test_id2_a_userName_already_in_the_group_is_a_409_uniqueness(scim: ScimClient) -> None:
    """A second create with the same userName (any case) is refused with scimType uniqueness; nothing is written."""
    _create(scim)

    response = scim.post("Users", user_document("ADA@corp.example", email="other@corp.example"))

    assert response.status_code == 409
    assert response.data["schemas"] == [ERROR_URN]
    assert response.data["status"] == "409"
    assert response.data["scimType"] == "uniqueness"
    assert not User.objects.filter(email="other@corp.example").exists()


def test_id2_full_seats_give_a_clear_scim_error_and_a_history_line(group: Group, scim: ScimClient) -> None:
    """With every seat taken (owner included), a create is refused with the reason; the refusal is in the history."""
    _create(scim, "one@corp.example")
    _create(scim, "two@corp.example")  # 3 seats: the owner and these two

    response = scim.post("Users", user_document("three@corp.example"))

    assert response.status_code == 409
    assert "places" in response.data["detail"]
    assert not User.objects.filter(email="three@corp.example").exists()
    refused = ScimEvent.objects.get(group=group, kind=ScimEvent.Kind.REFUSED)
    assert refused.user_name == "three@corp.example"


def test_id2_pending_invitations_hold_their_seats_against_provisioning(group: Group, scim: ScimClient) -> None:
    """An invitation reserves a seat (decision 0060): provisioning cannot take it."""
    group_invite(group=group, actor=group.owner, email="invited@example.org", language="fr")
    group_invite(group=group, actor=group.owner, email="invited2@example.org", language="fr")

    response = scim.post("Users", user_document("ada@corp.example"))

    assert response.status_code == 409


def test_id2_an_existing_account_outside_the_group_is_not_pulled_in(group: Group, scim: ScimClient) -> None:
    """The address of an account outside the group: 409 with what to do (an invitation); the account is untouched."""
    someone = UserFactory(email="someone@corp.example")

    response = scim.post("Users", user_document("someone@corp.example"))

    assert response.status_code == 409
    assert response.data["scimType"] == "uniqueness"
    assert "invit" in response.data["detail"]
    assert not GroupMembership.objects.filter(user=someone).exists()


def test_id2_a_member_already_in_the_group_is_adopted(group: Group, scim: ScimClient) -> None:
    """A member who joined by invitation (or SSO) is linked, not duplicated: no second seat."""
    from cloudmentor.accounts.services.provisioning import group_member_provision

    member, _created = group_member_provision(group=group, email="bob@corp.example", user_name="bob", language="fr")

    response = scim.post("Users", user_document("bob@corp.example"))

    assert response.status_code == 201
    assert ScimUser.objects.get(group=group).user == member
    assert GroupMembership.objects.filter(group=group).count() == 2


@pytest.mark.parametrize(
    ("document", "scim_type"),
    [
        ({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]}, "invalidValue"),
        ({"userName": "no-address"}, "invalidValue"),
        ({"userName": "ada@corp.example", "active": "maybe"}, "invalidValue"),
        ({"userName": ["list"]}, "invalidValue"),
        ([1, 2], "invalidSyntax"),
    ],
)
def test_id2_bad_documents_are_a_400_with_their_scim_type(scim: ScimClient, document: object, scim_type: str) -> None:
    """A missing userName, no usable address, a wrong type: 400, the scimType, nothing created."""
    response = scim.post("Users", document)

    assert response.status_code == 400
    assert response.data["scimType"] == scim_type
    assert ScimUser.objects.count() == 0


def test_id2_a_body_that_is_not_json_is_invalid_syntax(scim: ScimClient) -> None:
    response = scim.client.post("/scim/v2/Users", data="{nope", content_type="application/scim+json", **scim.headers)

    assert response.status_code == 400
    assert b"invalidSyntax" in response.content


def test_id2_read_and_list_with_filters_and_pages(scim: ScimClient) -> None:
    """GET by id; list filtered by userName or work email (case-insensitive); startIndex and count page the list."""
    ada = _create(scim, "ada@corp.example")
    _create(scim, "bob@corp.example")

    assert scim.get(f"Users/{ada['id']}").data["userName"] == "ada@corp.example"
    by_name = scim.get("Users", data={"filter": 'userName eq "ADA@corp.example"'}).data
    assert by_name["totalResults"] == 1 and by_name["Resources"][0]["id"] == ada["id"]
    by_email = scim.get("Users", data={"filter": 'emails[type eq "work"].value eq "bob@corp.example"'}).data
    assert [r["userName"] for r in by_email["Resources"]] == ["bob@corp.example"]
    nobody = scim.get("Users", data={"filter": 'userName eq "nobody"'}).data
    assert nobody["totalResults"] == 0 and nobody["Resources"] == []
    page = scim.get("Users", data={"startIndex": "2", "count": "1"}).data
    assert page["totalResults"] == 2 and page["startIndex"] == 2 and page["itemsPerPage"] == 1
    assert page["Resources"][0]["userName"] == "bob@corp.example"


@pytest.mark.parametrize(
    "text", ['userName co "ada"', "userName eq", 'name.middleName eq "x"', "(", 'a eq "b" or c eq "d"']
)
def test_id2_an_unsupported_filter_is_invalid_filter(scim: ScimClient, text: str) -> None:
    response = scim.get("Users", data={"filter": text})

    assert response.status_code == 400
    assert response.data["scimType"] == "invalidFilter"


def test_id2_replace_puts_the_new_attributes(group: Group, scim: ScimClient) -> None:
    """PUT replaces the resource's attributes; the account's own email and username stay the person's."""
    ada = _create(scim)

    response = scim.put(
        f"Users/{ada['id']}",
        {"userName": "ada.l@corp.example", "displayName": "Ada L.", "emails": [{"value": "ada.l@corp.example"}]},
    )

    assert response.status_code == 200
    assert response.data["userName"] == "ada.l@corp.example"
    assert response.data["displayName"] == "Ada L."
    assert "name" not in response.data
    assert User.objects.get(email="ada@corp.example")  # the account keeps its address
    assert ScimEvent.objects.filter(group=group, kind=ScimEvent.Kind.USER_UPDATED).exists()


def test_id2_patch_active_false_frees_the_seat_and_ends_every_session(group: Group, scim: ScimClient) -> None:
    """PATCH active:false: out of the group at once, every session ended; active:true gives the seat back."""
    ada = _create(scim)
    user = User.objects.get(email="ada@corp.example")
    browser = log_in_client(Client(), user)
    log_in_client(Client(), user, remote_addr="10.0.0.2")
    assert AccountSession.objects.filter(user=user).count() == 2

    response = scim.patch(f"Users/{ada['id']}", patch_op({"op": "replace", "path": "active", "value": False}))

    assert response.status_code == 200
    assert response.data["active"] is False
    assert not GroupMembership.objects.filter(user=user).exists()
    assert not AccountSession.objects.filter(user=user).exists()
    assert browser.get("/account/").status_code == 302  # logged out
    event = ScimEvent.objects.get(group=group, kind=ScimEvent.Kind.USER_DEACTIVATED)
    assert "2" in event.detail
    assert scim.get(f"Users/{ada['id']}").data["active"] is False

    again = scim.patch(f"Users/{ada['id']}", patch_op({"op": "replace", "path": "active", "value": True}))

    assert again.data["active"] is True
    assert GroupMembership.objects.filter(group=group, user=user).exists()
    assert ScimEvent.objects.filter(group=group, kind=ScimEvent.Kind.USER_REACTIVATED).exists()


def test_id2_patch_as_microsoft_entra_sends_it(scim: ScimClient) -> None:
    """Entra ID's forms: "Replace" capitalised, no path with a value object, "False" as a string, filtered paths."""
    ada = _create(scim)

    response = scim.patch(
        f"Users/{ada['id']}",
        patch_op(
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "ada2@corp.example"},
            {"op": "Add", "path": "name.familyName", "value": "Byron"},
            {"op": "Replace", "value": {"displayName": "Ada B.", "active": "False"}},
        ),
    )

    assert response.status_code == 200
    assert response.data["emails"][0]["value"] == "ada2@corp.example"
    assert response.data["name"] == {"givenName": "Ada", "familyName": "Byron"}
    assert response.data["displayName"] == "Ada B."
    assert response.data["active"] is False


@pytest.mark.parametrize(
    ("operation", "scim_type"),
    [
        ({"op": "remove"}, "noTarget"),
        ({"op": "move", "path": "active"}, "invalidSyntax"),
        ({"op": "replace", "path": "nickName", "value": "x"}, "invalidPath"),
        ({"op": "replace", "path": "id", "value": "x"}, "mutability"),
        ({"op": "remove", "path": "userName"}, "mutability"),
    ],
)
def test_id2_bad_patch_operations_are_refused_and_change_nothing(
    scim: ScimClient, operation: dict[str, object], scim_type: str
) -> None:
    ada = _create(scim)

    response = scim.patch(f"Users/{ada['id']}", patch_op(operation))

    assert response.status_code == 400
    assert response.data["scimType"] == scim_type
    assert scim.get(f"Users/{ada['id']}").data == {**ada, "meta": ada["meta"]}


def test_id2_delete_frees_the_seat_and_keeps_the_account(group: Group, scim: ScimClient) -> None:
    """DELETE: 204, out of the group, sessions ended, the resource gone (404); the account itself stays."""
    ada = _create(scim)
    user = User.objects.get(email="ada@corp.example")
    log_in_client(Client(), user)

    response = scim.delete(f"Users/{ada['id']}")

    assert response.status_code == 204
    assert User.objects.filter(pk=user.pk).exists()
    assert not GroupMembership.objects.filter(user=user).exists()
    assert not AccountSession.objects.filter(user=user).exists()
    assert scim.get(f"Users/{ada['id']}").status_code == 404
    assert ScimEvent.objects.filter(group=group, kind=ScimEvent.Kind.USER_DELETED, user=user).exists()


def test_id2_unknown_ids_and_addresses_are_scim_404s(scim: ScimClient) -> None:
    for path in ("Users/not-a-uuid", "Users/6c5bb468-14b2-4183-baf2-06d523e03bd3", "Groups", "nothing/here"):
        response = scim.get(path)
        assert response.status_code == 404, path
        assert response.data["schemas"] == [ERROR_URN]


def test_id2_discovery_documents(scim: ScimClient) -> None:
    """ServiceProviderConfig, ResourceTypes and Schemas describe what is served."""
    config = scim.get("ServiceProviderConfig").data
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    assert config["filter"]["supported"] is True
    types = scim.get("ResourceTypes").data
    assert [t["id"] for t in types["Resources"]] == ["User"]
    assert scim.get("ResourceTypes/User").data["endpoint"] == "/Users"
    schema = scim.get("Schemas/urn:ietf:params:scim:schemas:core:2.0:User").data
    assert {a["name"] for a in schema["attributes"]} == {"userName", "name", "displayName", "emails", "active"}
    assert scim.get("Schemas/urn:nope").status_code == 404


def test_id2_a_method_an_endpoint_does_not_take_is_a_scim_405(scim: ScimClient) -> None:
    response = scim.put("Users", {"userName": "x"})

    assert response.status_code == 405
    assert response.data["schemas"] == [ERROR_URN]


def test_id2_put_outside_the_api_is_still_refused(client: Client) -> None:
    """Only /scim/v2/ takes PUT, PATCH and DELETE; the pages keep refusing them (TR-7)."""
    assert client.put("/accounts/login/").status_code == 405
    assert client.delete("/").status_code == 405


def test_id2_errors_follow_accept_language(scim: ScimClient) -> None:
    """French first; English when the directory asks for it."""
    french = scim.post("Users", {"userName": ""})
    english = scim.post("Users", {"userName": ""}, HTTP_ACCEPT_LANGUAGE="en")

    assert "obligatoire" in french.data["detail"]
    assert "required" in english.data["detail"]


def test_tm2_the_owner_is_never_listed_nor_deprovisioned(group: Group, scim: ScimClient) -> None:
    """The owner is not a provisioned person: the owner's address is refused, and the list shows only the directory's."""
    response = scim.post("Users", user_document(group.owner.email))

    assert response.status_code == 409
    assert scim.get("Users").data["totalResults"] == 0
    assert GroupMembership.objects.filter(group=group, user=group.owner).exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('externalId eq "00U-ADA"', ["ada@corp.example"]),
        ('displayName eq "ada lovelace"', ["ada@corp.example"]),
        ('name.familyName eq "Lovelace"', ["ada@corp.example", "bob@corp.example"]),
        ('emails.value eq "BOB@corp.example"', ["bob@corp.example"]),
        ("active eq false", ["bob@corp.example"]),
        ("active eq true", ["ada@corp.example"]),
        ('urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bob@corp.example"', ["bob@corp.example"]),
    ],
)
def test_id2_every_published_attribute_filters_with_eq(scim: ScimClient, text: str, expected: list[str]) -> None:
    _create(scim, "ada@corp.example", externalId="00u-ada", displayName="Ada Lovelace")
    _create(scim, "bob@corp.example", active=False)

    found = scim.get("Users", data={"filter": text}).data

    assert [r["userName"] for r in found["Resources"]] == expected


def test_id2_filter_by_id_and_search_by_post(scim: ScimClient) -> None:
    ada = _create(scim, "ada@corp.example")

    by_id = scim.get("Users", data={"filter": f'id eq "{ada["id"]}"'}).data
    searched = scim.post(
        "Users/.search",
        {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName eq "ada@corp.example"',
            "attributes": ["userName"],
        },
    ).data

    assert by_id["totalResults"] == 1
    assert searched["Resources"] == [
        {"schemas": ada["schemas"], "id": ada["id"], "userName": "ada@corp.example", "meta": ada["meta"]}
    ]


def test_id2_deleting_a_deactivated_person_leaves_their_own_sessions_alone(group: Group, scim: ScimClient) -> None:
    """Deactivated, then logged in again on their own account: the directory's DELETE does not end that session."""
    ada = _create(scim)
    scim.patch(f"Users/{ada['id']}", patch_op({"op": "replace", "path": "active", "value": False}))
    user = User.objects.get(email="ada@corp.example")
    log_in_client(Client(), user)

    response = scim.delete(f"Users/{ada['id']}")

    assert response.status_code == 204
    assert AccountSession.objects.filter(user=user).count() == 1
    assert ScimEvent.objects.get(group=group, kind=ScimEvent.Kind.USER_DELETED).detail == "déjà désactivé"


def test_id2_an_address_is_compared_as_accounts_compare_them(group: Group, scim: ScimClient) -> None:
    """A look-alike (full-width, other case) of an existing account's address is that account: refused, not duplicated."""
    UserFactory(email="zoe@corp.example")

    response = scim.post("Users", user_document("ＺＯＥ@corp.example"))

    assert response.status_code == 409
    assert response.data["scimType"] == "uniqueness"
    assert User.objects.filter(email__iexact="zoe@corp.example").count() == 1


def test_id2_a_look_alike_of_an_existing_address_is_refused_like_the_address_itself(scim: ScimClient) -> None:
    """Addresses are one key once NFKC-normalised and case-folded (TR-7): a fullwidth look-alike of an
    outside account's address is that account — a 409, never a 500 or a second account."""
    UserFactory(username="outsider", email="bea@corp.example")

    response = scim.post("Users", user_document("ｂｅａ@corp.example", email="ＢＥＡ@corp.example"))

    assert response.status_code == 409, response.data
    assert response.data["schemas"] == [ERROR_URN]
    assert User.objects.filter(email_key="bea@corp.example").count() == 1
