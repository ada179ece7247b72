"""« Était-ce vous ? » security emails (TR-4) and the logged-out report of unauthorized use (PV-14).

Every email goes through the real SMTP server (`smtp_server`): the content is what matters.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from cloudmentor.accounts import services
from cloudmentor.accounts.models import AccountEvent, AccountSession, SecurityNotice, User
from cloudmentor.mailing.services import SECRET_TEMPLATES
from conftest import body_text

from .conftest import csrf_post, log_in, submit
from .factories import PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase"
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
)
_LINK = re.compile(r"https?://[^\s/]+(/(?:en/)?accounts/not-me/[^\s/]+/)")
_RESET = re.compile(r"https?://[^\s/]+(/(?:en/)?accounts/password/reset/[^\s/]+/)")


@pytest.fixture(autouse=True)
def _staff_alerts(settings: Any) -> None:
    settings.STAFF_ALERT_EMAILS = ["staff@cloudmentor.example"]


def _subject(message: Message) -> str:
    return str(make_header(decode_header(str(message["Subject"]))))


def _to(message: Message) -> str:
    return str(message["X-Envelope-To"])


def _not_me_path(message: Message) -> str:
    match = _LINK.search(body_text(message))
    assert match, body_text(message)
    return match.group(1)


def _sent_to(smtp_server: Any, address: str) -> list[Message]:
    return [message for message in smtp_server.messages if _to(message) == address]


def _report(path: str, **extra: Any) -> Any:
    """Open the link logged out and confirm, as the member does from their mailbox."""
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(path, **extra)
    assert page.status_code == 200, page.content[:500]
    return visitor.post(path, **extra)


# The emails ----------------------------------------------------------------------------------


def test_tr4_a_password_change_emails_the_member_what_when_where_and_a_link(
    member_client: Client, member: User, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        csrf_post(
            member_client,
            "/account/password/",
            {"current_password": PASSWORD, "password": NEW_PASSWORD},
            HTTP_USER_AGENT=FIREFOX_LINUX,
            REMOTE_ADDR="203.0.113.77",
        )

    (message,) = smtp_server.messages
    assert _to(message) == "alice@example.org"
    assert "Votre mot de passe a été modifié" in _subject(message)
    text = body_text(message)
    assert "Firefox" in text and "Linux" in text
    assert "203.0.113." in text and "203.0.113.77" not in text  # approximate, never the full address
    assert "Ce n'était pas moi" in text
    assert _not_me_path(message).startswith("/accounts/not-me/")


def test_tr4_a_password_reset_emails_the_member(
    member: User, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from cloudmentor.accounts.tokens import password_reset_link_token

    with django_capture_on_commit_callbacks(execute=True):
        submit(Client(), f"/accounts/password/reset/{password_reset_link_token(member)}/", {"password": NEW_PASSWORD})

    (message,) = [m for m in smtp_server.messages if "réinitialisé" in _subject(m)]
    assert _to(message) == "alice@example.org"
    assert _not_me_path(message)


def test_tr4_an_email_change_is_told_to_the_old_and_the_new_address(
    member_client: Client, member: User, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from cloudmentor.accounts.tokens import email_change_token

    token = email_change_token(user=member, new_email="alice@new.example.org")
    with django_capture_on_commit_callbacks(execute=True):
        csrf_post(member_client, f"/account/email/confirm/{token}/")

    (old,) = _sent_to(smtp_server, "alice@example.org")
    (new,) = _sent_to(smtp_server, "alice@new.example.org")
    assert "alice@new.example.org" in body_text(old)
    assert "alice@example.org" in body_text(new)
    assert _not_me_path(old) != _not_me_path(new)  # one link per address


def test_tr4_a_login_from_a_new_device_is_told_once_a_known_one_sends_nothing(
    client: Client, member: User, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        log_in(Client(), "alice", HTTP_USER_AGENT=CHROME_WINDOWS)  # the first device the account is seen on
    assert smtp_server.messages == []

    with django_capture_on_commit_callbacks(execute=True):
        log_in(Client(), "alice", HTTP_USER_AGENT=FIREFOX_LINUX, REMOTE_ADDR="198.51.100.23")
    (message,) = smtp_server.messages
    assert _to(message) == "alice@example.org"
    text = body_text(message)
    assert "Firefox" in text and "Linux" in text and "198.51.100." in text and "198.51.100.23" not in text
    assert _not_me_path(message)

    with django_capture_on_commit_callbacks(execute=True):
        log_in(Client(), "alice", HTTP_USER_AGENT=FIREFOX_LINUX)  # known now
        log_in(Client(), "alice", HTTP_USER_AGENT=CHROME_WINDOWS)
    assert len(smtp_server.messages) == 1


def test_tr4_a_member_who_registered_in_english_gets_the_email_in_english(
    client: Client, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    UserFactory(username="bob", email="bob@example.org", language="en")
    with django_capture_on_commit_callbacks(execute=True):
        log_in(Client(), "bob", HTTP_USER_AGENT=CHROME_WINDOWS)
        log_in(Client(), "bob", HTTP_USER_AGENT=FIREFOX_LINUX)

    (message,) = smtp_server.messages
    assert "new device" in _subject(message)
    assert "It wasn't me" in body_text(message)
    assert _not_me_path(message).startswith("/en/accounts/not-me/")
    html = next(part for part in message.walk() if part.get_content_type() == "text/html")
    html_text = html.get_payload(decode=True).decode()  # type: ignore[union-attr]  # a text part decodes to bytes
    assert 'href="http://' in html_text and _not_me_path(message) in html_text and "It wasn't me</a>" in html_text


def test_tr4_a_staff_second_factor_reset_is_told_to_the_staff_member(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    with django_capture_on_commit_callbacks(execute=True):
        call_command("staff_totp_reset", "root", stdout=io.StringIO())

    (message,) = _sent_to(smtp_server, "root@cloudmentor.example")
    assert "second facteur" in _subject(message)
    assert _not_me_path(message)
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_tr4_the_link_is_never_stored_in_clear(
    member_client: Client, member: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        csrf_post(member_client, "/account/password/", {"current_password": PASSWORD, "password": NEW_PASSWORD})

    (sent,) = mail.outbox
    link = _LINK.search(sent.body)
    assert link
    token = link.group(1).rstrip("/").rsplit("/", 1)[-1]
    notice = SecurityNotice.objects.get()
    assert notice.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(list(SecurityNotice.objects.values()))


# The link ------------------------------------------------------------------------------------


def test_pv14_the_link_works_logged_out_ends_every_session_blocks_and_alerts_staff(
    member: User, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    laptop, phone = Client(), Client()
    with django_capture_on_commit_callbacks(execute=True):
        log_in(laptop, "alice")
        log_in(phone, "alice")
        csrf_post(laptop, "/account/password/", {"current_password": PASSWORD, "password": NEW_PASSWORD})
    path = _not_me_path(smtp_server.messages[-1])
    smtp_server.messages.clear()

    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(path)
    assert page.status_code == 200
    assert "Ce n&#x27;était pas moi" in page.content.decode() or "Ce n'était pas moi" in page.content.decode()
    assert AccountSession.objects.filter(user=member).count() == 1  # a GET (a mail scanner) changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        done = visitor.post(path, REMOTE_ADDR="192.0.2.9")

    assert done.status_code == 200
    body = done.content.decode()
    assert "session a été fermée" in body and "bloqué" in body and "alice@example.org" in body
    assert not AccountSession.objects.filter(user=member).exists()
    assert laptop.get("/account/").status_code == 302 and phone.get("/account/").status_code == 302
    member.refresh_from_db()
    assert member.locked_at is not None
    (staff_alert,) = _sent_to(smtp_server, "staff@cloudmentor.example")
    assert "alice" in body_text(staff_alert)
    (reset_mail,) = _sent_to(smtp_server, "alice@example.org")
    assert _RESET.search(body_text(reset_mail))
    event = AccountEvent.objects.get(user=member, kind=AccountEvent.Kind.UNAUTHORIZED_USE_REPORTED)
    assert event.ip == "192.0.2.9" and "password_changed" in event.reason


def test_pv14_a_blocked_account_is_told_so_at_login_and_a_reset_re_opens_it(
    member: User, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.security_notice_send(user=member, kind=SecurityNotice.Kind.PASSWORD_CHANGED, ip=None, user_agent="")
    path = _not_me_path(smtp_server.messages[-1])
    with django_capture_on_commit_callbacks(execute=True):
        _report(path)
    reset_path = _RESET.search(body_text(_sent_to(smtp_server, "alice@example.org")[-1])).group(1)  # type: ignore[union-attr]  # asserted above

    refused = log_in(Client(), "alice")
    assert refused.status_code == 403
    assert "bloqué" in refused.content.decode()
    assert not AccountSession.objects.filter(user=member).exists()
    assert log_in(Client(), "alice", "a wrong password here").status_code == 200  # says nothing more

    with django_capture_on_commit_callbacks(execute=True):
        reset = submit(Client(), reset_path, {"password": NEW_PASSWORD})
    assert reset.status_code == 302
    member.refresh_from_db()
    assert member.locked_at is None
    assert log_in(Client(), "alice", NEW_PASSWORD).status_code == 302


def test_pv14_a_link_sent_to_the_old_address_gives_the_account_back_to_it(
    member_client: Client, member: User, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Someone who took the account over changed its email: the old address's link undoes it."""
    from cloudmentor.accounts.tokens import email_change_token

    token = email_change_token(user=member, new_email="thief@example.net")
    with django_capture_on_commit_callbacks(execute=True):
        csrf_post(member_client, f"/account/email/confirm/{token}/")
    (old,) = _sent_to(smtp_server, "alice@example.org")
    smtp_server.messages.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _report(_not_me_path(old))

    member.refresh_from_db()
    assert member.email == "alice@example.org" and member.locked_at is not None
    (reset_mail,) = _sent_to(smtp_server, "alice@example.org")
    assert _RESET.search(body_text(reset_mail))
    assert _sent_to(smtp_server, "thief@example.net") == []


def test_pv14_a_second_use_changes_nothing_and_says_so(
    member: User, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.security_notice_send(user=member, kind=SecurityNotice.Kind.NEW_DEVICE, ip=None, user_agent="")
    path = _not_me_path(smtp_server.messages[-1])
    with django_capture_on_commit_callbacks(execute=True):
        _report(path)
    sent, events = len(smtp_server.messages), AccountEvent.objects.count()

    visitor = Client()
    page = visitor.get(path)
    with django_capture_on_commit_callbacks(execute=True):
        again = visitor.post(path)

    for response in (page, again):
        assert response.status_code == 410
        assert "déjà servi" in response.content.decode()
    assert len(smtp_server.messages) == sent and AccountEvent.objects.count() == events


@pytest.mark.parametrize(
    "token",
    [
        "forged",
        "Zm9yZ2Vk:1tXyZa:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        "a" * 5000,
        "ｆｏｒｇｅｄ:é:%00",
        "::",
    ],
)
def test_pv14_a_forged_link_changes_nothing_and_says_so(client: Client, member: User, token: str) -> None:
    for response in (client.get(f"/accounts/not-me/{token}/"), client.post(f"/accounts/not-me/{token}/")):
        assert response.status_code == 400
        assert "pas valable" in response.content.decode()
    member.refresh_from_db()
    assert member.locked_at is None


def test_pv14_an_expired_link_changes_nothing_and_says_so(
    member: User, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    sent_at = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(sent_at, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            services.security_notice_send(user=member, kind=SecurityNotice.Kind.NEW_DEVICE, ip=None, user_agent="")
        path = _not_me_path(smtp_server.messages[-1])
        clock.move_to(sent_at + timedelta(days=7, seconds=1))
        response = Client().post(path)

    assert response.status_code == 400
    assert "expiré" in response.content.decode()
    member.refresh_from_db()
    assert member.locked_at is None


def test_pv14_the_link_is_throttled_like_the_other_visitor_forms(member: User, settings: Any) -> None:
    settings.ACCOUNTS_RECOVERY_MAX_PER_IP = 2
    visitor = Client()
    answers = [visitor.post("/accounts/not-me/forged/", REMOTE_ADDR="192.0.2.50").status_code for _ in range(3)]

    assert answers == [400, 400, 429]


def test_pv14_the_report_from_the_account_page_blocks_the_same_way(
    member_client: Client, member: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        csrf_post(member_client, "/account/report-unauthorized-use/")

    member.refresh_from_db()
    assert member.locked_at is not None
    assert log_in(Client(), "alice").status_code == 403


def test_tr4_a_staff_member_enrolling_a_second_factor_is_told(
    client: Client, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django_otp.oath import totp

    StaffFactory(username="root", email="root@cloudmentor.example")
    log_in(client, "root")
    client.get("/accounts/staff/enroll/")
    device = TOTPDevice.objects.get(confirmed=False)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"

    with django_capture_on_commit_callbacks(execute=True):
        csrf_post(client, "/accounts/staff/enroll/", {"token": code, "next": "/staff/"})

    (message,) = _sent_to(smtp_server, "root@cloudmentor.example")
    assert "second facteur" in _subject(message)
    assert _not_me_path(message)
    assert AccountEvent.objects.filter(kind=AccountEvent.Kind.SECOND_FACTOR_CHANGED).count() == 1


def test_tr4_staff_changing_a_member_s_email_tells_both_addresses(
    client: Client, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django_otp.oath import totp

    StaffFactory(username="root", email="root@cloudmentor.example")
    device = services.staff_totp_device_create(user=User.objects.get(username="root"))
    log_in(client, "root")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    csrf_post(client, "/accounts/staff/verify/", {"token": code, "next": "/staff/"})
    alice = UserFactory(username="alice", email="alice@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = csrf_post(
            client,
            f"/staff/accounts/user/{alice.pk}/change/",
            {
                "username": "alice",
                "email": "alice@corrected.example.org",
                "first_name": "",
                "last_name": "",
                "account_events-TOTAL_FORMS": "0",
                "account_events-INITIAL_FORMS": "0",
            },
        )

    assert response.status_code == 302
    assert len(_sent_to(smtp_server, "alice@example.org")) == 1
    assert len(_sent_to(smtp_server, "alice@corrected.example.org")) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres_only
def test_pv14_two_clicks_at_once_act_once() -> None:
    """Of simultaneous uses of one link, one blocks the account; the others are told it served."""
    from django.core import mail as outbox

    from conftest import race

    member = UserFactory(username="alice", email="alice@example.org")
    services.security_notice_send(user=member, kind=SecurityNotice.Kind.NEW_DEVICE, ip=None, user_agent="")
    token = _LINK.search(outbox.outbox[-1].body).group(1).rstrip("/").rsplit("/", 1)[-1]  # type: ignore[union-attr]  # the email was just built

    results = race(6, lambda n: services.security_report(token=token, ip=f"192.0.2.{n}"))

    from cloudmentor.accounts.exceptions import SecurityLinkUsed

    assert sum(not isinstance(result, Exception) for result in results) == 1
    assert all(isinstance(result, SecurityLinkUsed) for result in results if isinstance(result, Exception))
    assert AccountEvent.objects.filter(kind=AccountEvent.Kind.UNAUTHORIZED_USE_REPORTED).count() == 1


def test_pv14_staff_find_the_blocked_accounts(client: Client, django_capture_on_commit_callbacks: Any) -> None:
    from django_otp.oath import totp

    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = services.staff_totp_device_create(user=staff)
    log_in(client, "root")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    csrf_post(client, "/accounts/staff/verify/", {"token": code, "next": "/staff/"})
    blocked = UserFactory(username="blocked")
    UserFactory(username="fine")
    with django_capture_on_commit_callbacks(execute=True):
        services.account_lock(user=blocked, ip=None, source="test")

    assert ">fine<" in client.get("/staff/accounts/user/").content.decode()
    listing = client.get("/staff/accounts/user/", {"locked": "yes"}).content.decode()

    assert "blocked" in listing and ">fine<" not in listing


def test_tr4_telling_a_known_device_from_a_new_one_costs_one_query(
    member: User, django_assert_num_queries: Any
) -> None:
    AccountEvent.objects.bulk_create(
        AccountEvent(user=member, kind=AccountEvent.Kind.LOGIN, browser="Firefox", os="Linux") for _ in range(30)
    )

    with django_assert_num_queries(1):
        assert services.device_is_new(user=member, user_agent=FIREFOX_LINUX) is False
    with django_assert_num_queries(1):
        assert services.device_is_new(user=member, user_agent=CHROME_WINDOWS) is True


def test_tr3_tr4_the_account_emails_with_a_link_that_acts_are_marked_secret_by_name() -> None:
    """Reset, email change, invitation and « Ce n'était pas moi » are sealed whatever their link looks like."""
    names = {
        f"accounts/emails/{name}" for name in ("password_reset", "email_change", "group_invitation", "security_notice")
    }

    assert names <= SECRET_TEMPLATES  # mailing's set, filled in AccountsConfig.ready()
