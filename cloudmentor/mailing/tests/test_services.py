from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from cloudmentor.mailing.models import OutboxEmail
from cloudmentor.mailing.services import email_queue, email_send
from conftest import body_text

TEMPLATE = "operations/emails/contact_received"


class _Contact:
    name = "Ada Lovelace"
    email = "ada@example.com"
    subject = "Facturation"
    message = "Bonjour, une question sur ma facture."


@pytest.mark.django_db(transaction=True)
def test_pv13_a_queued_email_goes_out_through_the_smtp_server_after_commit(smtp_server) -> None:
    """The email is stored first and sent through real SMTP only once the transaction commits."""
    with transaction.atomic():
        email = email_queue(to="staff@example.com", template=TEMPLATE, context={"contact": _Contact()}, language="fr")
        assert smtp_server.messages == []

    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "staff@example.com"
    assert message["Subject"] == "[Contact] Facturation"
    assert "Nouveau message de Ada Lovelace" in body_text(message)
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT and email.attempts == 1


@pytest.mark.django_db(transaction=True)
def test_pv13_a_rolled_back_action_sends_nothing(smtp_server) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        email_queue(to="staff@example.com", template=TEMPLATE, context={"contact": _Contact()}, language="fr")
        raise RuntimeError("the action failed")

    assert smtp_server.messages == []
    assert OutboxEmail.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_pv13_nothing_is_lost_while_the_smtp_server_is_down(smtp_server) -> None:
    """A send that fails stays queued with a back-off; the retry job delivers it exactly once."""
    smtp_server.stop()
    with time_machine.travel("2027-02-01 09:00:00+00:00", tick=False) as clock:
        email = email_queue(to="member@example.com", template=TEMPLATE, context={"contact": _Contact()}, language="en")
        email.refresh_from_db()
        assert email.status == OutboxEmail.Status.QUEUED
        assert email.attempts == 1 and "Error" in email.last_error
        assert email.next_attempt_at == timezone.now() + timedelta(minutes=1)

        call_command("mailing_retry")  # not due yet: nothing happens
        email.refresh_from_db()
        assert email.attempts == 1

        smtp_server.start()
        clock.shift(timedelta(minutes=1))
        call_command("mailing_retry")
        call_command("mailing_retry")

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT and email.attempts == 2
    assert len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["Subject"] == "[Contact] Facturation"
    assert email_send(email_id=email.pk) is True  # a duplicate task sends nothing more
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_pv13_an_email_is_given_up_after_the_configured_attempts(smtp_server, settings) -> None:
    settings.MAILING_MAX_ATTEMPTS = 2
    smtp_server.stop()
    with time_machine.travel("2027-02-01 09:00:00+00:00", tick=False) as clock:
        email = email_queue(to="member@example.com", template=TEMPLATE, context={"contact": _Contact()})
        clock.shift(timedelta(hours=1))
        call_command("mailing_retry")

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED and email.attempts == 2


@pytest.mark.django_db
def test_an_email_is_rendered_in_the_language_it_was_queued_in(django_capture_on_commit_callbacks, mailoutbox) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        email_queue(to="a@example.com", template=TEMPLATE, context={"contact": _Contact()}, language="en")

    assert mailoutbox[0].body.startswith("New message from Ada Lovelace")


@pytest.mark.django_db
def test_pv4_a_cancelled_email_is_never_sent_nor_requeued(mailoutbox) -> None:
    """An email withdrawn before it left stays unsent, whatever the retry job or staff do."""
    from cloudmentor.mailing.services import email_cancel, email_requeue, email_retry_due

    email = email_queue(to="member@example.com", template=TEMPLATE, context={"contact": _Contact()}, language="fr")

    assert email_cancel(email_ids=[email.pk]) == 1
    email_requeue(email_id=email.pk)
    email_retry_due()
    email_send(email_id=email.pk)

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.CANCELLED
    assert mailoutbox == []
    assert email_cancel(email_ids=[email.pk]) == 0  # only queued rows are withdrawn
