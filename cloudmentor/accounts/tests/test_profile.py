"""The member's own data (PV-7) and reporting unauthorized use (PV-14)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client

from cloudmentor.accounts.models import AccountEvent, AccountSession, User
from conftest import log_in_client

from .conftest import csrf_post, envelope, log_in, submit
from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase"


def test_pv7_the_account_page_shows_everything_stored_about_the_member(client: Client) -> None:
    UserFactory(
        username="alice",
        email="alice@example.org",
        terms_version=3,
        newsletter_opt_in=True,
        access_ends_at=datetime(2027, 6, 30, 12, 0, tzinfo=UTC),
    )
    log_in(client, "alice", REMOTE_ADDR="198.51.100.7")

    body = client.get("/account/").content.decode()

    for fact in ("alice", "alice@example.org", "version 3", "demandée à l", "2027", "198.51.100.7"):
        assert fact in body, fact
    assert "Connexion" in body  # the history
    assert 'name="username" value="alice"' in body and 'value="alice@example.org"' in body  # the edit form
    assert PASSWORD not in body and "md5$" not in body


def test_pv7_the_account_page_costs_a_fixed_number_of_queries(
    member_client: Client, member: User, django_assert_num_queries: object, settings: object
) -> None:
    settings.ACCOUNTS_MAX_SESSIONS = 10
    for _n in range(5):
        log_in(Client(), "alice")  # more sessions and history rows: the count must not grow
    member_client.get("/account/")

    # events (with authors), sessions; the session and the user come from the cache.
    with django_assert_num_queries(2):
        response = member_client.get("/account/")

    assert response.status_code == 200


def test_pv7_the_account_page_needs_a_login(client: Client) -> None:
    response = client.get("/account/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/account/"
    assert not response.cookies


def test_pv7_the_member_changes_the_username(member_client: Client, member: User) -> None:
    response = csrf_post(member_client, "/account/", {"username": "alice2", "email": member.email})

    member.refresh_from_db()
    assert response.status_code == 302
    assert member.username == "alice2"
    assert envelope(member_client.get("/account/"))["u"] == "alice2"
    assert AccountEvent.objects.filter(user=member, kind=AccountEvent.Kind.USERNAME_CHANGED).exists()


def test_pv7_a_taken_username_is_refused(member_client: Client, member: User) -> None:
    UserFactory(username="bob")

    response = csrf_post(member_client, "/account/", {"username": "BOB", "email": member.email})

    assert response.status_code == 200
    assert "déjà pris" in response.content.decode()


def test_pv7_a_new_email_is_confirmed_by_a_link_sent_to_it(
    member_client: Client, member: User, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        csrf_post(member_client, "/account/", {"username": "alice", "email": "alice@new.example.org"})
    member.refresh_from_db()
    assert member.email == "alice@example.org"  # not yet
    assert mail.outbox[-1].to == ["alice@new.example.org"]
    link = re.search(r"http://\S+/account/email/confirm/\S+/", mail.outbox[-1].body)
    assert link
    path = link.group(0).split("testserver", 1)[-1].replace("http://127.0.0.1:8000", "")

    page = member_client.get(path)
    assert "alice@new.example.org" in page.content.decode()
    member.refresh_from_db()
    assert member.email == "alice@example.org"  # a GET changes nothing
    csrf_post(member_client, path)

    member.refresh_from_db()
    assert member.email == "alice@new.example.org"
    assert csrf_post(member_client, path).status_code == 400  # used: the old email no longer matches


def test_pv7_an_email_link_of_another_account_does_nothing(
    member_client: Client, member: User, django_capture_on_commit_callbacks: object
) -> None:
    from cloudmentor.accounts.tokens import email_change_token

    bob = UserFactory(username="bob")
    token = email_change_token(user=bob, new_email="stolen@example.org")

    response = csrf_post(member_client, f"/account/email/confirm/{token}/")

    assert response.status_code == 400
    member.refresh_from_db()
    bob.refresh_from_db()
    assert "stolen@example.org" not in (member.email, bob.email)


def test_pv7_the_email_link_expires(member_client: Client, member: User) -> None:
    from cloudmentor.accounts.tokens import email_change_token

    now = datetime.now(tz=UTC)
    with time_machine.travel(now, tick=False) as clock:
        token = email_change_token(user=member, new_email="alice@new.example.org")
        clock.move_to(now + timedelta(days=1, seconds=1))
        response = csrf_post(member_client, f"/account/email/confirm/{token}/")

    assert response.status_code == 400


def test_pv7_password_change_asks_for_the_current_one(member_client: Client, member: User) -> None:
    wrong = csrf_post(
        member_client, "/account/password/", {"current_password": "not it at all", "password": NEW_PASSWORD}
    )

    assert wrong.status_code == 200
    assert "actuel est incorrect" in wrong.content.decode()
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_pv7_password_change_keeps_this_device_and_ends_the_others(member_client: Client, member: User) -> None:
    phone = Client()
    log_in(phone, "alice")

    response = csrf_post(member_client, "/account/password/", {"current_password": PASSWORD, "password": NEW_PASSWORD})

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    assert member_client.get("/account/").status_code == 200
    assert phone.get("/account/").status_code == 302
    assert AccountSession.objects.filter(user=member).count() == 1


# PV-14 — unauthorized use -------------------------------------------------------------------


def test_pv14_one_button_ends_all_sessions_requires_a_reset_and_alerts_staff(
    member: User, settings: object, django_capture_on_commit_callbacks: object
) -> None:
    settings.STAFF_ALERT_EMAILS = ["staff@cloudmentor.example"]
    laptop, phone = Client(), Client()
    log_in(laptop, "alice")
    log_in(phone, "alice")

    with django_capture_on_commit_callbacks(execute=True):
        response = laptop.post("/account/report-unauthorized-use/", REMOTE_ADDR="198.51.100.7")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/unauthorized-use-reported/"
    assert response.cookies["cm_account"].value == ""
    assert not AccountSession.objects.filter(user=member).exists()
    assert phone.get("/account/").status_code == 302
    member.refresh_from_db()
    assert member.locked_at is not None
    refused = log_in(Client(), "alice")  # the old password no longer opens it, and says why
    assert refused.status_code == 403 and "bloqué" in refused.content.decode()
    recipients = sorted(message.to[0] for message in mail.outbox)
    assert recipients == ["alice@example.org", "staff@cloudmentor.example"]
    reset_mail = next(message for message in mail.outbox if message.to == ["alice@example.org"])
    assert "/accounts/password/reset/" in reset_mail.body
    assert AccountEvent.objects.filter(user=member, kind=AccountEvent.Kind.UNAUTHORIZED_USE_REPORTED).exists()


def test_pv14_the_emailed_link_sets_a_new_password(
    member_client: Client, member: User, django_capture_on_commit_callbacks: object
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        csrf_post(member_client, "/account/report-unauthorized-use/")
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/password/reset/" in line)

    response = submit(Client(), link.split("8000", 1)[-1].split("testserver", 1)[-1], {"password": NEW_PASSWORD})

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


def test_pv14_the_report_page_explains_and_asks_for_a_click(member_client: Client) -> None:
    body = member_client.get("/account/report-unauthorized-use/").content.decode()

    assert "toutes les sessions de votre compte sont fermées" in body
    assert "csrfmiddlewaretoken" in body


@pytest.mark.django_db
def test_pv7_the_account_page_links_to_what_the_request_log_holds(client: Client) -> None:
    """From the account page a member reaches the record of their own requests (PV-5, PV-7)."""
    log_in_client(client, UserFactory())

    page = client.get("/account/").content.decode()

    assert 'href="/account/activity/"' in page
    assert client.get("/account/activity/").status_code == 200
