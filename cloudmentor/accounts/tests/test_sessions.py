"""Devices and sessions: the list, ending one or all, the cap, sharing detection (CK-7, TM-9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from cloudmentor.accounts.models import AccountEvent, AccountSession, User

from .conftest import csrf_post, envelope, log_in

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def test_tm9_a_session_records_its_device(client: Client, member: User) -> None:
    with time_machine.travel(T0, tick=False):
        log_in(client, "alice", REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT=FIREFOX_LINUX)

    session = AccountSession.objects.get()
    assert (session.user, session.ip, session.browser, session.os) == (member, "198.51.100.7", "Firefox", "Linux")
    assert session.user_agent == FIREFOX_LINUX
    assert session.created_at == session.last_seen_at == T0


def test_tm9_last_seen_moves_at_most_once_per_interval(member: User, settings: object) -> None:
    client = Client(HTTP_USER_AGENT=FIREFOX_LINUX)
    with time_machine.travel(T0, tick=False) as clock:
        log_in(client, "alice")
        clock.move_to(T0 + timedelta(seconds=60))
        client.get("/account/")
        first = AccountSession.objects.get().last_seen_at
        clock.move_to(T0 + timedelta(seconds=120))
        client.get("/account/")

    session = AccountSession.objects.get()
    assert first == T0 + timedelta(seconds=60)
    assert session.last_seen_at == first  # within ACCOUNTS_SESSION_TOUCH_SECONDS: not rewritten
    assert session.created_at == T0


def test_tm9_sessions_page_lists_each_device_without_session_keys(member: User) -> None:
    laptop = Client(HTTP_USER_AGENT=FIREFOX_LINUX)
    phone = Client(HTTP_USER_AGENT=SAFARI_IPHONE)
    log_in(laptop, "alice")
    log_in(phone, "alice")

    body = laptop.get("/account/sessions/").content.decode()

    assert "Firefox · Linux" in body and "Mobile Safari · iOS" in body
    assert "cet appareil" in body
    for session in AccountSession.objects.all():
        assert session.session_key not in body
        assert session.device_id in body


def test_tm9_sessions_page_costs_a_fixed_number_of_queries(member: User, django_assert_num_queries: object) -> None:
    devices = [Client(HTTP_USER_AGENT=agent) for agent in (FIREFOX_LINUX, SAFARI_IPHONE, FIREFOX_LINUX)]
    for device in devices:
        log_in(device, "alice")
    devices[0].get("/account/sessions/")  # warm: the last-seen mark is written once per interval

    # The session and the user come from the cache (accounts.caching); OTP device lookup
    # skipped (no OTP id); the session list.
    with django_assert_num_queries(1):
        response = devices[0].get("/account/sessions/")

    assert response.status_code == 200


def test_ck7_log_out_another_device(member: User) -> None:
    laptop, phone = Client(), Client()
    log_in(laptop, "alice")
    log_in(phone, "alice")
    phone_device = AccountSession.objects.get(session_key=envelope(phone)["k"]).device_id

    response = laptop.post("/account/sessions/", {"action": "revoke", "device": phone_device})

    assert response.status_code == 302
    assert phone.get("/account/").status_code == 302
    assert laptop.get("/account/").status_code == 200


def test_ck7_log_out_this_device_from_the_list_deletes_its_cookie(member_client: Client, member: User) -> None:
    device = AccountSession.objects.get().device_id

    response = csrf_post(member_client, "/account/sessions/", {"action": "revoke", "device": device})

    assert response.cookies["cm_account"].value == ""
    assert not AccountSession.objects.exists()


def test_ck7_a_member_cannot_end_someone_else_s_session(member_client: Client) -> None:
    from .factories import UserFactory

    UserFactory(username="bob")
    bob = Client()
    log_in(bob, "bob")
    bob_device = AccountSession.objects.get(user__username="bob").device_id

    csrf_post(member_client, "/account/sessions/", {"action": "revoke", "device": bob_device})

    assert bob.get("/account/").status_code == 200


def test_ck7_log_out_everywhere(member: User) -> None:
    devices = [Client(), Client(), Client()]
    for device in devices:
        log_in(device, "alice")

    response = devices[0].post("/account/sessions/", {"action": "revoke_all"})

    assert response.cookies["cm_account"].value == ""
    assert not AccountSession.objects.exists()
    assert all(device.get("/account/").status_code == 302 for device in devices)


def test_tm9_past_the_session_cap_the_oldest_session_ends(member: User, settings: object) -> None:
    """ACCOUNTS_MAX_SESSIONS (3) sessions at most: a 4th login ends the oldest."""
    devices = [Client(), Client(), Client(), Client()]
    with time_machine.travel(T0, tick=False) as clock:
        for minute, device in enumerate(devices):
            clock.move_to(T0 + timedelta(minutes=minute))
            log_in(device, "alice")

    assert AccountSession.objects.filter(user=member).count() == settings.ACCOUNTS_MAX_SESSIONS
    assert devices[0].get("/account/").status_code == 302
    assert [device.get("/account/").status_code for device in devices[1:]] == [200, 200, 200]


def test_tm9_an_account_seen_on_too_many_networks_in_a_day_is_flagged_for_staff(
    member: User, settings: object, django_capture_on_commit_callbacks: object
) -> None:
    settings.STAFF_ALERT_EMAILS = ["staff@cloudmentor.example"]
    limit = settings.ACCOUNTS_SHARING_MAX_NETWORKS_PER_DAY
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(limit + 2):
            log_in(Client(), "alice", REMOTE_ADDR=f"198.51.{n}.7")

    member.refresh_from_db()
    assert member.sharing_flagged_at is not None
    assert AccountEvent.objects.filter(user=member, kind=AccountEvent.Kind.SHARING_FLAGGED).count() == 1
    alerts = [message for message in mail.outbox if message.to == ["staff@cloudmentor.example"]]
    assert len(alerts) == 1 and "alice" in alerts[0].subject


def test_tm9_a_member_on_few_devices_is_not_flagged(member: User) -> None:
    for agent in (FIREFOX_LINUX, SAFARI_IPHONE):
        log_in(Client(HTTP_USER_AGENT=agent), "alice", REMOTE_ADDR="198.51.100.7")

    member.refresh_from_db()
    assert member.sharing_flagged_at is None


def test_tm9_the_scheduled_clearsessions_purges_expired_sessions_only(member: User, settings: object) -> None:
    from django.core.management import call_command

    assert settings.SCHEDULER_JOBS["clear_sessions"]["command"] == "clearsessions"
    with time_machine.travel(T0, tick=False) as clock:
        log_in(Client(), "alice")
        clock.move_to(T0 + timedelta(days=29))
        log_in(Client(), "alice")
        clock.move_to(T0 + timedelta(days=30, seconds=1))
        call_command("clearsessions")

    assert list(AccountSession.objects.values_list("created_at", flat=True)) == [T0 + timedelta(days=29)]
