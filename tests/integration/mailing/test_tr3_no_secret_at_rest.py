"""No usable secret at rest (TR-3): a reset link lives in the member's mailbox only.

The email goes through the real SMTP server (`smtp_server`); what is left in the outbox,
shown in the staff site and put in the member's data export is then searched for the link.
"""

from __future__ import annotations

import json
import re
from email.message import Message
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import PASSWORD, StaffFactory
from cloudmentor.mailing.models import OutboxEmail
from conftest import body_text, csrf_post, submit

from .conftest import log_in

pytestmark = pytest.mark.django_db

_RESET = re.compile(r"https?://[^\s/]+(/(?:en/)?accounts/password/reset/([^\s/]+)/)")
NEW_PASSWORD = "a brand new passphrase"


def _reset_link(message: Message) -> tuple[str, str]:
    match = _RESET.search(body_text(message))
    assert match, body_text(message)
    return match.group(1), match.group(2)


def _staff_client() -> Client:
    staff = StaffFactory(username="sam", email="sam@example.org", is_superuser=True)
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    client = Client()
    assert log_in(client, staff.username).status_code == 302
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    assert client.post(reverse("accounts:staff_verify"), {"token": f"{code:06d}"}).status_code == 302
    return client


def _everything_stored() -> str:
    return json.dumps(list(OutboxEmail.objects.values()), default=str)


def test_tr3_after_a_reset_email_is_sent_nothing_stored_reveals_its_link(
    member: User, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The link reaches the member and works once; the outbox row, the staff site and the
    member's data export hold only a placeholder."""
    with django_capture_on_commit_callbacks(execute=True):
        submit(Client(), "/accounts/password/forgot/", {"email": "alice@example.org"})
    (message,) = [m for m in smtp_server.messages if m["To"] == "alice@example.org"]
    path, token = _reset_link(message)

    email = OutboxEmail.objects.get(template="accounts/emails/password_reset")
    assert email.status == OutboxEmail.Status.SENT and email.has_secret
    assert email.to == "alice@example.org" and email.subject and email.sent_at is not None
    assert email.body_text == "[retiré : lien à usage unique]" and email.sealed_body == ""
    assert token not in _everything_stored()

    staff = _staff_client()
    listing = staff.get(reverse("admin:mailing_outboxemail_changelist"))
    detail = staff.get(reverse("admin:mailing_outboxemail_change", args=[email.pk]))
    assert listing.status_code == detail.status_code == 200
    assert "alice@example.org" in detail.content.decode() and "lien à usage unique" in detail.content.decode()
    assert token not in listing.content.decode() + detail.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        assert submit(Client(), path, {"password": NEW_PASSWORD}).status_code == 302
    assert log_in(Client(), "alice", NEW_PASSWORD).status_code == 302
    again = Client().get(path)
    assert 'name="password"' not in again.content.decode()  # the link worked exactly once

    member_client = Client()
    assert log_in(member_client, "alice", NEW_PASSWORD).status_code == 302
    export = csrf_post(member_client, "/account/data/", {"password": NEW_PASSWORD}, page="/account/data/")
    assert export.status_code == 200
    document = b"".join(export.streaming_content).decode()
    assert "accounts/emails/password_reset" in document and "lien à usage unique" in document
    assert token not in document
    assert token not in _everything_stored()


def test_tr3_an_email_without_a_secret_keeps_its_body_until_the_retention(
    member: User, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """A welcome email links to the account page, which opens nothing by itself: kept as sent."""
    with django_capture_on_commit_callbacks(execute=True):
        submit(
            Client(),
            "/accounts/register/",
            {"username": "bob", "email": "bob@example.org", "password": PASSWORD, "accept_terms": "on"},
        )
    email = OutboxEmail.objects.get(to="bob@example.org", template="accounts/emails/welcome")
    assert email.status == OutboxEmail.Status.SENT
    assert not email.has_secret and email.body_text and email.body_removed_at is None


_ANY_LINK = re.compile(r"https?://[^\s/]+(/[^\s]*)")


def _queue_email_change(member: User) -> None:
    from cloudmentor.accounts.services import email_change_request

    email_change_request(user=member, new_email="alice@new.example.org", language="fr")


def _queue_group_invitation(member: User) -> None:
    from cloudmentor.accounts import services

    group = services.group_set_seats(group=services.group_create(owner=member, name="Équipe"), seats=3)
    services.group_invite(group=group, actor=member, email="bob@example.org", language="fr")


def _queue_newsletter_confirmation(member: User) -> None:
    from cloudmentor.newsletter.services import subscription_request

    subscription_request(email="carol@example.org", language="en")


@pytest.mark.parametrize(
    ("queue", "template"),
    [
        (_queue_email_change, "accounts/emails/email_change"),
        (_queue_group_invitation, "accounts/emails/group_invitation"),
        (_queue_newsletter_confirmation, "newsletter/emails/confirm"),
    ],
)
def test_tr3_every_email_that_acts_for_its_recipient_leaves_no_link_behind(
    queue: Any, template: str, member: User, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Email change, group invitation, newsletter confirmation: the link is delivered, never kept."""
    with django_capture_on_commit_callbacks(execute=True):
        queue(member)

    email = OutboxEmail.objects.get(template=template)
    (message,) = [m for m in smtp_server.messages if m["To"] == email.to]
    links = _ANY_LINK.findall(body_text(message))
    assert links
    assert email.status == OutboxEmail.Status.SENT and email.has_secret and email.sealed_body == ""
    stored = _everything_stored()
    for path in links:
        assert path.rstrip("/").rsplit("/", 1)[-1] not in stored, path
