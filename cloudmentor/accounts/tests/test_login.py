"""Login by username or email (PV-2), disabled accounts (TM-6) and throttling (TM-9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.test import Client

from cloudmentor.accounts import services
from cloudmentor.accounts.exceptions import InvalidCredentials
from cloudmentor.accounts.models import AccountEvent, AccountSession, User

from .conftest import LOGIN_URL, form_token, log_in, submit
from .factories import PASSWORD

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("identifier", ["alice", "ALICE", "alice@example.org", "Alice@Example.ORG"])
def test_pv2_login_accepts_the_username_or_the_email(client: Client, member: User, identifier: str) -> None:
    response = log_in(client, identifier)

    assert response.status_code == 302
    assert response["Location"] == "/account/"
    assert AccountSession.objects.get().user == member
    assert AccountEvent.objects.filter(user=member, kind=AccountEvent.Kind.LOGIN).count() == 1


def test_pv2_login_goes_back_to_a_safe_next_page_only(client: Client, member: User) -> None:
    page = client.get(f"{LOGIN_URL}?next=/account/sessions/")
    response = client.post(
        LOGIN_URL,
        {"form_token": form_token(page), "identifier": "alice", "password": PASSWORD, "next": "/account/sessions/"},
    )
    assert response["Location"] == "/account/sessions/"

    other = Client()
    page = other.get(LOGIN_URL)
    response = other.post(
        LOGIN_URL,
        {"form_token": form_token(page), "identifier": "alice", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/account/"


@pytest.mark.parametrize(("identifier", "password"), [("alice", "wrong password here"), ("nobody", PASSWORD)])
def test_pv2_wrong_credentials_never_say_which_part_is_wrong(
    client: Client, member: User, identifier: str, password: str
) -> None:
    response = log_in(client, identifier, password)

    assert response.status_code == 200
    assert "Nom d&#x27;utilisateur, adresse e-mail ou mot de passe incorrect." in response.content.decode()
    assert not AccountSession.objects.exists()


def test_pv2_the_login_page_is_in_english_under_en(client: Client) -> None:
    body = client.get("/en/accounts/login/").content.decode()

    assert "Log in" in body
    assert 'href="/en/accounts/password/forgot/"' in body


def test_pv2_a_logged_in_member_is_sent_from_the_login_form_to_the_account(member_client: Client) -> None:
    assert member_client.get(LOGIN_URL)["Location"] == "/account/"
    assert member_client.get("/accounts/register/")["Location"] == "/account/"


# TM-6 — disabled accounts -------------------------------------------------------------


def test_tm6_disabled_account_with_the_right_password_is_told_to_contact_support(
    client: Client, member: User, settings: object
) -> None:
    """The right password on a disabled account: a page naming SUPPORT_EMAIL, and no session."""
    settings.SUPPORT_EMAIL = "help@cloudmentor.example"
    services.user_disable(user=member, actor=None, reason="invoice unpaid")

    response = log_in(client, "alice")

    body = response.content.decode()
    assert response.status_code == 403
    assert "Votre compte est désactivé" in body
    assert "mailto:help@cloudmentor.example" in body
    assert "cm_account" not in response.cookies
    assert not AccountSession.objects.exists()
    assert AccountEvent.objects.filter(user=member, kind=AccountEvent.Kind.LOGIN_REFUSED_DISABLED).exists()


def test_tm6_disabled_account_with_a_wrong_password_learns_nothing(client: Client, member: User) -> None:
    services.user_disable(user=member, actor=None, reason="invoice unpaid")

    response = log_in(client, "alice", "not the password at all")

    assert response.status_code == 200
    assert "désactivé" not in response.content.decode()


def test_tm6_disabling_ends_every_session_at_its_next_request(member: User) -> None:
    laptop, phone = Client(), Client()
    log_in(laptop, "alice")
    log_in(phone, "alice")

    services.user_disable(user=member, actor=None, reason="invoice unpaid")

    for device in (laptop, phone):
        response = device.get("/account/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert not AccountSession.objects.filter(user=member).exists()


def test_tm6_disabled_page_is_in_english_under_en(client: Client, member: User) -> None:
    services.user_disable(user=member, actor=None, reason="invoice unpaid")

    response = submit(client, "/en/accounts/login/", {"identifier": "alice", "password": PASSWORD})

    assert "Your account is disabled" in response.content.decode()


# TM-9 — throttling ---------------------------------------------------------------------


def test_tm9_hundred_wrong_logins_from_one_address_are_refused_after_the_limit(
    client: Client, member: User, settings: object
) -> None:
    """100 wrong passwords for one account from one address: 5 answered, 95 refused (429), no 5xx;
    the owner still logs in from another address."""
    limit = settings.ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP
    token = form_token(client.get(LOGIN_URL, REMOTE_ADDR="203.0.113.9"))
    statuses = [
        client.post(
            LOGIN_URL,
            {"form_token": token, "identifier": "alice", "password": f"guess number {attempt}"},
            REMOTE_ADDR="203.0.113.9",
        ).status_code
        for attempt in range(100)
    ]

    assert statuses[:limit] == [200] * limit
    assert statuses[limit:] == [429] * (100 - limit)
    assert not [status for status in statuses if status >= 500]
    owner = log_in(Client(), "alice", REMOTE_ADDR="198.51.100.7")
    assert owner.status_code == 302
    assert "cm_account" in owner.cookies


def test_tm9_failures_from_one_address_over_many_accounts_hit_the_address_limit(
    client: Client, member: User, settings: object
) -> None:
    """Past ACCOUNTS_LOGIN_MAX_PER_IP failures, the address is refused even with a right password."""
    limit = settings.ACCOUNTS_LOGIN_MAX_PER_IP
    token = form_token(client.get(LOGIN_URL, REMOTE_ADDR="203.0.113.9"))
    statuses = [
        client.post(
            LOGIN_URL,
            {"form_token": token, "identifier": f"user{attempt}", "password": "whatever password"},
            REMOTE_ADDR="203.0.113.9",
        ).status_code
        for attempt in range(limit + 3)
    ]
    right = client.post(
        LOGIN_URL, {"form_token": token, "identifier": "alice", "password": PASSWORD}, REMOTE_ADDR="203.0.113.9"
    )

    assert statuses == [200] * limit + [429] * 3
    assert right.status_code == 429
    assert log_in(Client(), "alice", REMOTE_ADDR="198.51.100.7").status_code == 302


def test_tm9_the_limit_resets_after_its_window(client: Client, member: User, settings: object) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        token = form_token(client.get(LOGIN_URL))
        for _attempt in range(settings.ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP):
            client.post(LOGIN_URL, {"form_token": token, "identifier": "alice", "password": "bad password!"})
        assert (
            client.post(LOGIN_URL, {"form_token": token, "identifier": "alice", "password": PASSWORD}).status_code
            == 429
        )
        clock.move_to(T0 + timedelta(seconds=settings.ACCOUNTS_LOGIN_WINDOW_SECONDS))
        response = client.post(LOGIN_URL, {"form_token": token, "identifier": "alice", "password": PASSWORD})

    assert response.status_code == 302


def test_tm9_the_429_page_is_in_the_user_language_and_says_when_to_retry(client: Client, settings: object) -> None:
    settings.ACCOUNTS_LOGIN_MAX_PER_IP = 0

    french = client.post(LOGIN_URL, {"identifier": "x", "password": "y"})
    english = client.post("/en/accounts/login/", {"identifier": "x", "password": "y"})

    assert french.status_code == english.status_code == 429
    assert "Trop de tentatives" in french.content.decode()
    assert "Too many attempts" in english.content.decode()
    assert 0 < int(french["Retry-After"]) <= settings.ACCOUNTS_LOGIN_WINDOW_SECONDS
    assert not french.cookies


def test_tm9_registrations_per_address_are_limited(client: Client, settings: object) -> None:
    limit = settings.ACCOUNTS_REGISTER_MAX_PER_IP
    statuses = [
        submit(
            Client(),
            "/accounts/register/",
            {
                "username": f"user{n}",
                "email": f"user{n}@example.org",
                "password": "correct horse battery",
                "accept_terms": "on",
            },
        ).status_code
        for n in range(limit + 1)
    ]

    assert statuses == [302] * limit + [429]
    assert User.objects.count() == limit


def test_tm9_recovery_emails_per_address_are_capped_silently(
    client: Client, member: User, settings: object, django_capture_on_commit_callbacks: object
) -> None:
    """Past ACCOUNTS_RECOVERY_MAX_PER_ACCOUNT links an hour, the same answer, no more email."""
    limit = settings.ACCOUNTS_RECOVERY_MAX_PER_ACCOUNT
    with django_capture_on_commit_callbacks(execute=True):
        answers = {
            submit(Client(REMOTE_ADDR=f"198.51.100.{n}"), "/accounts/password/forgot/", {"email": "alice@example.org"})[
                "Location"
            ]
            for n in range(limit + 2)
        }

    assert answers == {"/accounts/password/forgot/sent/"}
    assert len(mail.outbox) == limit


def test_tm9_recovery_requests_per_address_are_limited(client: Client, settings: object) -> None:
    limit = settings.ACCOUNTS_RECOVERY_MAX_PER_IP
    token = form_token(client.get("/accounts/password/forgot/"))
    statuses = [
        client.post("/accounts/password/forgot/", {"form_token": token, "email": f"n{n}@example.org"}).status_code
        for n in range(limit + 1)
    ]

    # Each success deletes the form cookie: put the same one back as a reloaded page would.
    assert statuses[-1] == 429
    assert 429 not in statuses[:1]


def test_tm9_forwarded_for_is_believed_only_from_a_trusted_proxy(
    client: Client, member: User, settings: object
) -> None:
    """A client cannot dodge the limit by sending X-Forwarded-For itself."""
    settings.ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP = 1
    log_in(client, "alice", "bad password one", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.0.1")

    spoofed = log_in(Client(), "alice", "bad password two", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.0.2")

    assert spoofed.status_code == 429
    settings.TRUSTED_PROXIES = ["203.0.113.9"]
    behind_proxy = log_in(Client(), "alice", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.0.0.3")
    assert behind_proxy.status_code == 302
    assert AccountSession.objects.get().ip == "10.0.0.3"


def test_tm9_argon2_is_never_run_for_a_throttled_request(client: Client, member: User, settings: object) -> None:
    settings.ACCOUNTS_LOGIN_MAX_PER_IP = 0

    with (
        mock.patch("django.contrib.auth.hashers.check_password") as check,
        mock.patch.object(User, "check_password") as method,
    ):
        response = log_in(client, "alice")

    assert response.status_code == 429
    check.assert_not_called()
    method.assert_not_called()


def test_tm9_login_from_an_unknown_user_costs_a_hash_too(member: User) -> None:
    """Unknown users run the hasher as well, so timing does not reveal who has an account."""
    with (
        mock.patch("cloudmentor.accounts.services.sessions.check_password", return_value=False) as check,
        pytest.raises(InvalidCredentials),
    ):
        services.credentials_check(identifier="nobody", password="anything at all")

    check.assert_called_once()


def test_the_shared_test_helper_logs_a_member_in_like_the_site(client: Client, member: User) -> None:
    """Other apps' tests use conftest.log_in_client: it must give a real, revocable session."""
    from conftest import log_in_client

    log_in_client(client, member)

    assert client.get("/account/").status_code == 200
    assert AccountSession.objects.get().user == member
