"""Throttle counters (core/throttle.py) and the 429 page every throttled form answers with (TM-9)."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import translation

from cloudmentor.core import throttle
from cloudmentor.core.throttle import Limit, throttle_hit, throttle_request, throttle_retry_after, throttled

NOW = 1_800_000_030.0  # 30 s into a 60 s window


@pytest.fixture(autouse=True)
def _fresh_cache_at_a_fixed_time(monkeypatch: pytest.MonkeyPatch) -> None:
    cache.clear()
    monkeypatch.setattr(throttle, "_now", lambda: NOW)


def _request() -> HttpRequest:
    request = RequestFactory().post("/form/")
    request.user = AnonymousUser()
    return request


def test_tm9_a_counter_key_holds_the_subject_hashed_never_in_clear() -> None:
    """The key names the scope, the subject's SHA-256 and the window number (the cache never sees the email)."""
    limit = Limit("login-ip", "alice@example.org", 3, 60)

    key = limit.key(NOW)

    digest = hashlib.sha256(b"alice@example.org").hexdigest()[:32]
    assert key == f"cm:throttle:login-ip:{digest}:{int(NOW // 60)}"
    assert "alice" not in key


def test_tm9_a_limit_refuses_once_reached_until_its_window_ends() -> None:
    """`limit` hits pass; then the answer is the seconds left in the window."""
    limit = Limit("test", "1.2.3.4", 2, 60)

    throttle_hit(limit)
    assert throttle_retry_after(limit) is None
    throttle_hit(limit)

    assert throttle_retry_after(limit) == 30
    assert throttle_retry_after(Limit("test", "5.6.7.8", 2, 60)) is None  # another subject is not affected


def test_tm9_the_longest_wait_of_the_limits_reached_is_given() -> None:
    short, long = Limit("short", "x", 1, 60), Limit("long", "x", 1, 3600)
    throttle_hit(short, long)

    assert throttle_retry_after(short, long) == 3600 - int(NOW % 3600)


@pytest.mark.django_db
def test_tm9_throttle_request_counts_each_request_then_answers_429_without_counting() -> None:
    """The helper forms use: None (and one hit) while under the limit, then the 429 page."""
    limit = Limit("form", "1.2.3.4", 2, 60)

    assert throttle_request(_request(), limit) is None
    assert throttle_request(_request(), limit) is None
    refused = throttle_request(_request(), limit)

    assert refused is not None
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert cache.get(limit.key(NOW)) == 2  # the refused request was not counted


@pytest.mark.django_db
@pytest.mark.parametrize(("retry_after", "minutes"), [(1, "1 minute."), (60, "1 minute."), (61, "2 minutes.")])
def test_tm9_the_429_page_says_when_to_try_again_in_whole_minutes(retry_after: int, minutes: str) -> None:
    with translation.override("en"):
        response = throttled(_request(), retry_after)

    assert response.status_code == 429
    assert response["Retry-After"] == str(retry_after)
    page = response.content.decode()
    assert "Too many attempts" in page  # translated from core's catalog
    assert f"Try again in {minutes}" in page
