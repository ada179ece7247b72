"""The account cookie's envelope, as every layer before the session reads it (CK-1, CK-4)."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import RequestFactory

from cloudmentor.core.account_cookie import account_cookie_present, envelope_pack, envelope_unpack


def test_ck4_an_envelope_round_trips_session_key_username_and_email() -> None:
    """What is packed is what the session middleware reads back."""
    raw = envelope_pack(session_key="abc", username="alice", email="alice@example.com")

    assert envelope_unpack(raw) == {"k": "abc", "u": "alice", "e": "alice@example.com"}


@pytest.mark.parametrize("raw", [None, "", "not json", "[]", '{"u": "alice"}', '{"k": 3}'])
def test_ck1_a_value_that_is_not_an_envelope_counts_as_no_account_cookie(raw: str | None) -> None:
    """Anything else in the cookie is treated as absent, never as an error."""
    request = RequestFactory().get("/")
    if raw is not None:
        request.COOKIES[settings.SESSION_COOKIE_NAME] = raw

    assert envelope_unpack(raw) == {}
    assert account_cookie_present(request) is False


def test_ck4_a_well_formed_envelope_is_an_account_cookie_even_before_the_session_is_read() -> None:
    """Maintenance asks only whether one is there: its session may since have ended."""
    request = RequestFactory().get("/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = envelope_pack(session_key="gone")

    assert account_cookie_present(request) is True
