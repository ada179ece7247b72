"""Shared exact limits (core/throttle.py, SC-2, TM-9) and the 429 page every throttled form answers with."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.http import HttpRequest
from django.test import RequestFactory
from django.utils import translation

from cloudmentor.core import throttle
from cloudmentor.core.models import ThrottleBucket
from cloudmentor.core.tests.processes import Processes
from cloudmentor.core.throttle import (
    Limit,
    throttle_hit,
    throttle_refund,
    throttle_request,
    throttle_retry_after,
    throttle_take,
    throttled,
)

pytestmark = pytest.mark.django_db

NOW = 1_800_000_030.0


class Clock:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = NOW
        monkeypatch.setattr(throttle, "_now", lambda: self.now)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


def _request() -> HttpRequest:
    request = RequestFactory().post("/form/")
    request.user = AnonymousUser()
    return request


def test_sc2_the_subject_is_stored_as_a_keyed_hash_never_in_clear(clock: Clock) -> None:
    """The row names the scope and an HMAC of the subject: the email is nowhere in the database."""
    throttle_hit(Limit("login-ip", "alice@example.org", 3, 60))

    row = ThrottleBucket.objects.get()
    assert row.scope == "login-ip"
    assert "alice" not in row.subject_digest
    assert len(row.subject_digest) == 64


def test_sc2_exactly_n_pass_at_once_and_the_next_is_refused(clock: Clock) -> None:
    """`limit` hits pass; the next waits one interval (window / limit); another subject is not affected."""
    limit = Limit("test", "1.2.3.4", 3, 60)

    taken = [throttle_take(limit) for _ in range(5)]

    assert taken == [None, None, None, 20, 20]
    assert throttle_retry_after(limit) == 20
    assert throttle_take(Limit("test", "5.6.7.8", 3, 60)) is None


def test_sc2_the_bucket_refills_one_hit_per_interval_never_a_whole_window_at_once(clock: Clock) -> None:
    """No fixed window: 3 at 0 s, none more until 20 s, one at 20 s, the full 3 again only after 60 s."""
    limit = Limit("test", "x", 3, 60)
    for _ in range(3):
        assert throttle_take(limit) is None

    clock.now = NOW + 19
    assert throttle_take(limit) == 1
    clock.now = NOW + 20
    assert throttle_take(limit) is None
    assert throttle_take(limit) == 20
    clock.now = NOW + 20 + 60
    assert [throttle_take(limit) for _ in range(4)] == [None, None, None, 20]


def test_sc2_counts_are_shared_by_every_process(clock: Clock) -> None:
    """Hits served by three workers, each with its own memory, add up: N pass, the N+1th is refused."""
    processes = Processes()
    limit = Limit("login-ip", "203.0.113.9", 5, 900)

    results = []
    for attempt in range(7):
        with processes.worker(attempt % 3):
            results.append(throttle_take(limit))

    assert results[:5] == [None] * 5
    assert results[5:] == [180, 180]


def test_sc2_a_take_is_all_or_nothing_over_several_limits(clock: Clock) -> None:
    """When one limit is reached, the others are not counted either."""
    short, long = Limit("short", "x", 1, 60), Limit("long", "x", 2, 3600)
    assert throttle_take(short, long) is None

    assert throttle_take(short, long) == 60
    assert throttle_take(long) is None  # the refused take did not spend long's second hit
    assert throttle_retry_after(short, long) == 1800


def test_sc2_a_refund_gives_one_hit_back(clock: Clock) -> None:
    limit = Limit("test", "x", 2, 60)
    throttle_take(limit)
    throttle_take(limit)

    throttle_refund(limit)

    assert throttle_take(limit) is None
    assert throttle_take(limit) == 30


def test_sc2_a_hit_past_the_limit_never_prolongs_the_wait(clock: Clock) -> None:
    limit = Limit("test", "x", 2, 60)
    for _ in range(10):
        throttle_hit(limit)

    assert throttle_retry_after(limit) == 30


def test_sc2_a_zero_limit_refuses_everything_for_a_window(clock: Clock) -> None:
    assert throttle_take(Limit("test", "x", 0, 900)) == 900


def test_sc2_the_purge_deletes_only_buckets_that_are_empty_again(clock: Clock) -> None:
    """`core_purge` (scheduled) removes rows whose arrival time is past; running it twice is harmless."""
    throttle_take(Limit("old", "x", 2, 60))
    clock.now = NOW + 31
    throttle_take(Limit("new", "x", 2, 60))

    call_command("core_purge")
    call_command("core_purge")

    assert list(ThrottleBucket.objects.values_list("scope", flat=True)) == ["new"]


def test_tm9_throttle_request_counts_each_request_then_answers_429_without_counting(clock: Clock) -> None:
    """The helper forms use: None (and one hit) while under the limit, then the 429 page."""
    limit = Limit("form", "1.2.3.4", 2, 60)

    assert throttle_request(_request(), limit) is None
    assert throttle_request(_request(), limit) is None
    refused = throttle_request(_request(), limit)

    assert refused is not None
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    clock.now = NOW + 30
    assert throttle_request(_request(), limit) is None  # the refused request was not counted


@pytest.mark.parametrize(("retry_after", "minutes"), [(1, "1 minute."), (60, "1 minute."), (61, "2 minutes.")])
def test_tm9_the_429_page_says_when_to_try_again_in_whole_minutes(retry_after: int, minutes: str) -> None:
    with translation.override("en"):
        response = throttled(_request(), retry_after)

    assert response.status_code == 429
    assert response["Retry-After"] == str(retry_after)
    page = response.content.decode()
    assert "Too many attempts" in page  # translated from core's catalog
    assert f"Try again in {minutes}" in page
