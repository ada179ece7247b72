"""Helpers of the SCIM tests: a group with seats, its token, and a client that speaks SCIM."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from cloudmentor.accounts.models import Group, User
from cloudmentor.accounts.services import group_create, group_set_seats
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.scim.models import ScimToken
from cloudmentor.scim.services import token_create

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def group_with_seats(seats: int = 5, *, owner: User | None = None) -> Group:
    owner = owner or UserFactory()
    group = group_create(owner=owner, name=f"Groupe de {owner.username}")
    group_set_seats(group=group, seats=seats)
    group.refresh_from_db()
    return group


def token_for(group: Group, name: str = "Okta") -> tuple[ScimToken, str]:
    return token_create(group=group, actor=group.owner, name=name)


def user_document(user_name: str, email: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "schemas": [USER_URN],
        "userName": user_name,
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": email or user_name, "type": "work", "primary": True}],
        "active": True,
        **extra,
    }


class ScimClient:
    """A Django test client that sends the bearer token and JSON bodies, and decodes SCIM answers."""

    def __init__(self, raw_token: str, **headers: str) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw_token}", **headers}

    def _send(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        call = getattr(self.client, method)
        kwargs: dict[str, Any] = {**self.headers, **extra}
        if body is not None:
            kwargs.update(data=json.dumps(body), content_type="application/scim+json")
        response = call(f"/scim/v2/{path}", **kwargs)
        response.data = json.loads(response.content) if response.content else None
        return response

    def get(self, path: str, **extra: Any) -> Any:
        return self._send("get", path, **extra)

    def post(self, path: str, body: Any, **extra: Any) -> Any:
        return self._send("post", path, body, **extra)

    def put(self, path: str, body: Any, **extra: Any) -> Any:
        return self._send("put", path, body, **extra)

    def patch(self, path: str, body: Any, **extra: Any) -> Any:
        return self._send("patch", path, body, **extra)

    def delete(self, path: str, **extra: Any) -> Any:
        return self._send("delete", path, **extra)


def patch_op(*operations: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_URN], "Operations": list(operations)}
