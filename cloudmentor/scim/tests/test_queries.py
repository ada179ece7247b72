"""The owner's SCIM page and the Users list cost a fixed number of queries, whatever their length."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cloudmentor.accounts.models import Group
from conftest import log_in_client

from .factories import ScimClient, group_with_seats, token_for, user_document

pytestmark = pytest.mark.django_db


def _count(call: object) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = call()  # type: ignore[operator]
    assert response.status_code == 200
    return len(queries)


def _provision(group: Group, scim: ScimClient, start: int, how_many: int) -> None:
    for n in range(start, start + how_many):
        assert scim.post("Users", user_document(f"p{n}@corp.example")).status_code == 201


def test_id2_the_users_list_costs_the_same_queries_for_2_or_12_people() -> None:
    group = group_with_seats(20)
    _token, raw = token_for(group)
    scim = ScimClient(raw)
    _provision(group, scim, 0, 2)
    few = _count(lambda: scim.get("Users"))

    _provision(group, scim, 2, 10)
    many = _count(lambda: scim.get("Users"))

    assert many == few


def test_pv3_the_owners_page_costs_the_same_queries_for_a_short_or_long_history() -> None:
    group = group_with_seats(20)
    _token, raw = token_for(group)
    scim = ScimClient(raw)
    owner = log_in_client(Client(), group.owner)
    _provision(group, scim, 0, 1)
    for _ in range(2):  # the session, its last-seen time and the account are cached from here on
        owner.get("/account/group/scim/")
    few = _count(lambda: owner.get("/account/group/scim/"))

    _provision(group, scim, 1, 10)
    token_for(group, "Okta 2")
    many = _count(lambda: owner.get("/account/group/scim/"))

    assert many == few == 4  # membership, tokens, history, how many provisioned
