"""Sessions and accounts read from the cache stay exact: every change shows at the next request (CK-7)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cloudmentor.accounts import services
from cloudmentor.accounts.models import AccountSession, User

from .conftest import envelope, log_in

pytestmark = pytest.mark.django_db


def _queries(client: Client, url: str = "/account/sessions/") -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    return response.status_code, [query["sql"] for query in captured]


def _touches(sqls: list[str], table: str) -> bool:
    return any(f'"{table}"' in sql for sql in sqls)


@pytest.fixture
def devices(member: User) -> Iterator[tuple[Client, Client]]:
    laptop, phone = Client(), Client()
    log_in(laptop, "alice")
    log_in(phone, "alice")
    for device in (laptop, phone):
        device.get("/account/sessions/")  # warm: session and account cached, last-seen written
    yield laptop, phone


def test_ck7_a_warm_request_reads_neither_the_session_nor_the_account_from_the_database(
    devices: tuple[Client, Client],
) -> None:
    _laptop, phone = devices
    status, sqls = _queries(phone)

    assert status == 200
    assert len(sqls) == 1 and "ORDER BY" in sqls[0], sqls  # only the page's own list of sessions
    assert not _touches(sqls, "accounts_user")


def test_ck7_a_revoked_session_is_logged_out_at_its_next_request_even_when_cached(
    devices: tuple[Client, Client],
) -> None:
    laptop, phone = devices
    phone_device = AccountSession.objects.get(session_key=envelope(phone)["k"]).device_id
    assert phone.get("/account/").status_code == 200  # served from the cache

    response = laptop.post("/account/sessions/", {"action": "revoke", "device": phone_device})

    assert response.status_code == 302
    assert phone.get("/account/").status_code == 302
    assert laptop.get("/account/").status_code == 200


def test_ck7_a_session_deleted_behind_the_services_back_is_logged_out_at_once(
    devices: tuple[Client, Client],
) -> None:
    """The staff site, a cascade or any queryset delete: the row's delete signal bumps the stamp."""
    _laptop, phone = devices

    AccountSession.objects.filter(session_key=envelope(phone)["k"]).delete()

    assert phone.get("/account/").status_code == 302


def test_ck7_log_out_everywhere_ends_cached_sessions(devices: tuple[Client, Client], member: User) -> None:
    laptop, phone = devices

    services.sessions_revoke_all(user=member, actor=member, reason="test")

    assert phone.get("/account/").status_code == 302
    assert laptop.get("/account/").status_code == 302


def test_tm6_a_disabled_account_is_logged_out_at_its_next_request(devices: tuple[Client, Client], member: User) -> None:
    _laptop, phone = devices

    services.user_disable(user=member, actor=None, reason="test")

    assert phone.get("/account/").status_code == 302


def test_pv7_a_changed_username_shows_at_the_next_request(devices: tuple[Client, Client], member: User) -> None:
    _laptop, phone = devices
    assert "alice" in phone.get("/account/").content.decode()

    services.username_change(user=User.objects.get(pk=member.pk), username="alice2", actor=None)

    assert "alice2" in phone.get("/account/").content.decode()


def test_ck7_a_session_whose_row_changed_elsewhere_is_read_again(devices: tuple[Client, Client]) -> None:
    """A cached session is only a copy: a save through the store (another worker) replaces it."""
    from cloudmentor.accounts.sessions import SessionStore

    _laptop, phone = devices
    other_worker = SessionStore(envelope(phone)["k"])
    other_worker["marker"] = "from another worker"
    other_worker.save()

    assert SessionStore(envelope(phone)["k"]).get("marker") == "from another worker"


def test_ck7_the_cached_copy_expires_with_the_session(devices: tuple[Client, Client], settings: Any) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    _laptop, phone = devices
    row = AccountSession.objects.get(session_key=envelope(phone)["k"])
    with time_machine.travel(row.expire_date + timedelta(seconds=1)):
        assert timezone.now() > row.expire_date
        assert phone.get("/account/").status_code == 302


def _other_worker_keeps(key: str) -> Any:
    """Return what another worker's local cache holds for this session (its own copy, in its memory)."""
    from django.core.cache import cache

    from cloudmentor.accounts.sessions import CACHE_PREFIX

    return cache.get(CACHE_PREFIX + key)


def _other_worker_serves(key: str, copy: Any) -> Any:
    """Load the session as another worker would: from its own copy, kept since before the write."""
    from django.core.cache import cache

    from cloudmentor.accounts.sessions import CACHE_PREFIX, SessionStore

    cache.set(CACHE_PREFIX + key, copy)  # a worker's cache is its own: the writer never touched this copy
    return SessionStore(key)


def test_sc1_a_session_saved_by_one_worker_is_read_again_by_every_other(devices: tuple[Client, Client]) -> None:
    """An update of the session row (a TOTP step, a flash message) bumps its stamp: no worker serves its old copy."""
    from cloudmentor.accounts.sessions import SessionStore

    _laptop, phone = devices
    key = envelope(phone)["k"]
    kept_elsewhere = _other_worker_keeps(key)
    assert kept_elsewhere is not None  # warm: the other worker has its copy

    writer = SessionStore(key)
    writer["marker"] = "written by the first worker"
    writer.save()

    assert _other_worker_serves(key, kept_elsewhere).get("marker") == "written by the first worker"


def test_sc1_a_session_row_saved_through_the_model_bumps_its_stamp(devices: tuple[Client, Client]) -> None:
    """A save of the row itself (staff site, a script) makes every cached copy stale too."""
    from cloudmentor.accounts.sessions import SessionStore

    _laptop, phone = devices
    key = envelope(phone)["k"]
    kept_elsewhere = _other_worker_keeps(key)
    store = SessionStore(key)
    data = store.load()
    data["marker"] = "saved through the model"
    row = AccountSession.objects.get(session_key=key)
    row.session_data = store.encode(data)
    row.save()

    assert _other_worker_serves(key, kept_elsewhere).get("marker") == "saved through the model"


def test_sc1_the_next_read_after_a_session_write_caches_the_new_copy(devices: tuple[Client, Client]) -> None:
    """The write leaves no copy behind; the first read after it caches the row, the next reads none."""
    from cloudmentor.accounts.sessions import SessionStore

    _laptop, phone = devices
    key = envelope(phone)["k"]
    writer = SessionStore(key)
    writer["marker"] = "x"
    writer.save()

    with CaptureQueriesContext(connection) as first:
        assert SessionStore(key).get("marker") == "x"
    with CaptureQueriesContext(connection) as second:
        assert SessionStore(key).get("marker") == "x"

    assert len(first) == 1 and len(second) == 0
