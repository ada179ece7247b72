"""The SCIM API is throttled like the other expensive endpoints (TM-9): per token, and refused tokens per address."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from .factories import ScimClient, group_with_seats, token_for

pytestmark = pytest.mark.django_db


def test_tm9_a_token_gets_n_requests_per_window_then_a_scim_429(settings: Any) -> None:
    """N requests pass, the next is 429 with Retry-After in SCIM's format; another group's token is not affected."""
    settings.SCIM_MAX_REQUESTS_PER_TOKEN = 3
    _token, raw = token_for(group_with_seats(2))
    scim = ScimClient(raw)

    statuses = [scim.get("Users").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    refused = scim.get("Users")
    assert refused["Retry-After"].isdigit()
    assert refused.data["status"] == "429"
    _other, other_raw = token_for(group_with_seats(2))
    assert ScimClient(other_raw).get("Users").status_code == 200


def test_tm9_guessing_tokens_is_cut_short_per_address(settings: Any) -> None:
    """After N refused tokens from one address, even a right token from there waits (429): no lookup at all."""
    settings.SCIM_MAX_AUTH_FAILURES_PER_IP = 2
    _token, raw = token_for(group_with_seats(2))
    guesser = Client()

    statuses = [guesser.get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer guess{n}").status_code for n in range(3)]

    assert statuses == [401, 401, 429]
    assert ScimClient(raw).get("Users").status_code == 429
    assert ScimClient(raw).get("Users", REMOTE_ADDR="10.1.2.3").status_code == 200
