"""Sending an issue: every subscribed address once, in its language, with one-click unsubscribe (PV-4, PV-13)."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from cloudmentor.accounts.models import User
from cloudmentor.mailing.models import OutboxEmail
from cloudmentor.newsletter import services
from cloudmentor.newsletter.exceptions import IssueIncomplete, IssueNotDraft
from cloudmentor.newsletter.models import Delivery, Issue, Source, Subscriber

from .conftest import UNSUBSCRIBE_LINK, link_path, text_of
from .factories import IssueFactory, SubscriberFactory

pytestmark = pytest.mark.django_db


def _send(issue: Issue, capture: Any) -> None:
    with capture(execute=True):
        services.issue_send_start(issue=issue)


def _recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_pv4_an_issue_goes_to_every_subscribed_address_once_in_its_language(
    django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.NEWSLETTER_BATCH_SIZE = 2  # three batches for five readers
    for number in range(3):
        SubscriberFactory(email=f"fr{number}@example.org", language="fr")
    for number in range(2):
        SubscriberFactory(email=f"en{number}@example.org", language="en")
    SubscriberFactory(email="gone@example.org", status="unsubscribed")
    issue = IssueFactory()

    _send(issue, django_capture_on_commit_callbacks)

    assert _recipients() == [
        "en0@example.org",
        "en1@example.org",
        "fr0@example.org",
        "fr1@example.org",
        "fr2@example.org",
    ]
    by_address = {message.to[0]: message for message in mail.outbox}
    assert by_address["fr0@example.org"].subject == "Nouveautés de novembre"
    assert "Découvrez **Kubernetes**" in by_address["fr0@example.org"].body
    assert "Se désabonner en un clic" in by_address["fr0@example.org"].body
    english = by_address["en0@example.org"]
    assert english.subject == "What's new in November"
    assert "Unsubscribe in one click" in english.body
    html = english.alternatives[0][0]
    assert "<strong>Kubernetes</strong>" in html and "/en/newsletter/unsubscribe/" in html
    assert english.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert english.extra_headers["List-Unsubscribe"].startswith(f"<{settings.SITE_URL}/en/newsletter/unsubscribe/")
    issue.refresh_from_db()
    assert issue.status == "sent" and issue.sent_at is not None
    assert Delivery.objects.count() == 5


def test_pv4_an_unsubscribed_address_is_never_mailed_again(
    django_capture_on_commit_callbacks: Any, member_client: Client, member: User
) -> None:
    """Unsubscribe from the account page, then an issue goes out: not one email to that address."""
    services.subscriber_subscribe_member(user=member)
    SubscriberFactory(email="reader@example.org")
    services.subscriber_unsubscribe_member(user=member)

    _send(IssueFactory(), django_capture_on_commit_callbacks)

    assert _recipients() == ["reader@example.org"]
    assert Subscriber.objects.get(user=member).email == "alice@example.org"  # kept, flagged
    assert not OutboxEmail.objects.filter(to="alice@example.org").exists()


def test_pv4_sending_is_idempotent_after_a_crash_and_on_every_rerun(
    django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    """The chain of batch tasks stops after one batch (a crash): the scheduled job finishes the
    send; running it again (or the batch task again) sends nothing twice and skips no one."""
    settings.NEWSLETTER_BATCH_SIZE = 2
    readers = [SubscriberFactory(email=f"r{number}@example.org") for number in range(5)]
    issue = IssueFactory()
    services.issue_send_start(issue=issue)  # its on-commit task never runs: the worker died
    with django_capture_on_commit_callbacks(execute=True):
        services.issue_send_batch(issue_id=issue.pk, chain=False)
    assert len(mail.outbox) == 2

    with django_capture_on_commit_callbacks(execute=True):
        call_command("newsletter_send")  # progress a moment ago: the chain may still be running
    assert len(mail.outbox) == 2

    with time_machine.travel(timezone.now() + timedelta(minutes=11)), django_capture_on_commit_callbacks(execute=True):
        call_command("newsletter_send")  # stalled: the scheduled job finishes it
        call_command("newsletter_send")
        services.issue_send_batch(issue_id=issue.pk)

    assert _recipients() == sorted(reader.email for reader in readers)
    assert Issue.objects.get().status == "sent"
    assert OutboxEmail.objects.count() == 5


def test_pv4_an_address_unsubscribed_after_the_send_started_is_skipped(
    django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.NEWSLETTER_BATCH_SIZE = 1
    first, second, third = (SubscriberFactory(email=f"r{number}@example.org") for number in range(3))
    issue = IssueFactory()
    services.issue_send_start(issue=issue)
    services.issue_send_batch(issue_id=issue.pk, chain=False)  # first queued, not sent yet

    services.subscriber_unsubscribe(subscriber=first, source=Source.ONE_CLICK)  # before its email left
    services.subscriber_unsubscribe(subscriber=third, source=Source.EMAIL_LINK)  # before its turn
    with django_capture_on_commit_callbacks(execute=True):
        call_command("mailing_retry")
        call_command("newsletter_send", stalled_minutes=0)

    assert _recipients() == [second.email]
    assert OutboxEmail.objects.get(to=first.email).status == OutboxEmail.Status.CANCELLED
    assert not Delivery.objects.filter(subscriber=third).exists()


def test_pv4_starting_a_send_twice_sends_once(django_capture_on_commit_callbacks: Any) -> None:
    SubscriberFactory()
    issue = IssueFactory()
    _send(issue, django_capture_on_commit_callbacks)

    with pytest.raises(IssueNotDraft):
        services.issue_send_start(issue=issue)
    assert len(mail.outbox) == 1


def test_pv4_an_issue_needs_both_languages(django_capture_on_commit_callbacks: Any) -> None:
    issue = IssueFactory(body_en="  ")

    with pytest.raises(IssueIncomplete):
        services.issue_send_start(issue=issue)
    issue.refresh_from_db()
    assert issue.status == "draft"


@pytest.mark.django_db(transaction=True)
def test_pv4_pv13_an_issue_goes_through_smtp_with_rfc8058_headers_and_its_link_unsubscribes(smtp_server: Any) -> None:
    """Real SMTP: the received email carries List-Unsubscribe (the site's link) + List-Unsubscribe-Post,
    and the one-click POST to that link unsubscribes; the next issue does not reach it."""
    reader = SubscriberFactory(email="reader@example.org", language="en")
    SubscriberFactory(email="lecteur@example.org", language="fr")

    services.issue_send_start(issue=IssueFactory())

    received = {message["X-Envelope-To"]: message for message in smtp_server.messages}
    assert set(received) == {"reader@example.org", "lecteur@example.org"}
    message = received["reader@example.org"]
    assert message["Subject"] == "What's new in November"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    header_url = message["List-Unsubscribe"].strip().removeprefix("<").removesuffix(">")  # unfolded
    assert "/en/newsletter/unsubscribe/" in header_url
    assert link_path(text_of(message), UNSUBSCRIBE_LINK).startswith("/en/newsletter/unsubscribe/")
    assert str(make_header(decode_header(received["lecteur@example.org"]["Subject"]))) == "Nouveautés de novembre"

    response = Client(enforce_csrf_checks=True).post(
        urlsplit(header_url).path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    reader.refresh_from_db()
    assert reader.status == "unsubscribed"

    smtp_server.messages.clear()
    services.issue_send_start(issue=IssueFactory(subject_fr="Décembre", subject_en="December"))
    assert [message["X-Envelope-To"] for message in smtp_server.messages] == ["lecteur@example.org"]


def test_pv4_staff_preview_send_a_test_to_themselves_then_send(
    staff_client: Client, staff: User, django_capture_on_commit_callbacks: Any
) -> None:
    SubscriberFactory(email="reader@example.org")
    response = staff_client.post(
        "/staff/newsletter/issue/add/",
        {"subject_fr": "Bonjour", "body_fr": "Du **gras**", "subject_en": "Hello", "body_en": "Some **bold**"},
    )
    issue = Issue.objects.get()
    assert response.status_code == 302 and issue.created_by == staff

    preview = staff_client.get(f"/staff/newsletter/issue/{issue.pk}/preview/").content.decode()
    assert "Du <strong>gras</strong>" in preview and "Some <strong>bold</strong>" in preview

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/staff/newsletter/issue/{issue.pk}/send-test/")
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["root@cloudmentor.example"], "[Test] Bonjour"),
        (["root@cloudmentor.example"], "[Test] Hello"),
    ]
    assert not Delivery.objects.exists()

    confirm = staff_client.get(f"/staff/newsletter/issue/{issue.pk}/send/").content.decode()
    assert "1 adresse abonnée" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(f"/staff/newsletter/issue/{issue.pk}/send/")
    assert mail.outbox[-1].to == ["reader@example.org"]
    assert Issue.objects.get().status == "sent"
    page = staff_client.get(f"/staff/newsletter/issue/{issue.pk}/change/")
    assert page.status_code == 200 and 'name="subject_fr"' not in page.content.decode()  # read-only now
