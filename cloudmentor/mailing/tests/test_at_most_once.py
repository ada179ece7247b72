"""SC-4: an email is sent at most once, even when the worker dies in the middle of a send.

The crash is a real one as far as our code can tell: the SMTP transport (Django's own SMTP
backend, talking to the real aiosmtpd server) raises a BaseException right after the server
accepted the message, before the outbox row could be marked sent — what ``kill -9`` of the
worker at that instant leaves behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.mail import EmailMessage
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.management import call_command

from cloudmentor.mailing.models import OutboxEmail
from cloudmentor.mailing.services import email_queue, email_requeue, email_send

TEMPLATE = "operations/emails/contact_received"


class WorkerKilled(BaseException):
    """What the worker's death looks like from inside: nothing after it runs."""


class CrashAfterAcceptBackend(SmtpBackend):
    """Real SMTP; the process 'dies' once the server has accepted the message."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        super().send_messages(email_messages)
        raise WorkerKilled


class CrashBeforeSmtpBackend(SmtpBackend):
    """The process 'dies' after the claim, before a byte reached the server."""

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise WorkerKilled


class _Contact:
    name = "Ada Lovelace"
    email = "ada@example.com"
    subject = "Facturation"
    message = "Bonjour."


def _queue(**kwargs: Any) -> OutboxEmail:
    return email_queue(to="staff@example.com", template=TEMPLATE, context={"contact": _Contact()}, **kwargs)


def _stored(language: str) -> OutboxEmail:
    """An email as `email_queue` stores it, whose send task a worker has just picked up."""
    return OutboxEmail.objects.create(
        to="staff@example.com",
        template=TEMPLATE,
        language=language,
        subject="[Contact] Facturation",
        body_text="Bonjour.",
    )


@pytest.mark.django_db(transaction=True)
def test_sc4_a_worker_killed_after_the_smtp_server_accepted_sends_the_email_once(smtp_server, settings) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.CrashAfterAcceptBackend"
    with time_machine.travel("2027-02-01 09:00:00+00:00", tick=False) as clock:
        email = _stored("fr")
        with pytest.raises(WorkerKilled):
            email_send(email_id=email.pk)
        assert len(smtp_server.messages) == 1
        email.refresh_from_db()
        assert email.status == OutboxEmail.Status.SENDING
        assert email.claimed_at is not None

        # The worker comes back; the task is retried, the retry job runs, long after any lease.
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        clock.shift(timedelta(minutes=30))
        assert email_send(email_id=email.pk) is False
        call_command("mailing_retry")

    assert len(smtp_server.messages) == 1
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENDING


@pytest.mark.django_db(transaction=True)
def test_sc4_an_interrupted_send_is_given_up_after_the_documented_delay_never_resent(smtp_server, settings) -> None:
    """A row left "sending" is marked failed for staff to look at; only staff send it again."""
    settings.MAILING_SENDING_TIMEOUT_MINUTES = 60
    settings.EMAIL_BACKEND = f"{__name__}.CrashBeforeSmtpBackend"
    with time_machine.travel("2027-02-01 09:00:00+00:00", tick=False) as clock:
        email = _stored("en")
        with pytest.raises(WorkerKilled):
            email_send(email_id=email.pk)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        clock.shift(timedelta(minutes=59))
        call_command("mailing_retry")
        email.refresh_from_db()
        assert email.status == OutboxEmail.Status.SENDING

        clock.shift(timedelta(minutes=2))
        call_command("mailing_retry")
        email.refresh_from_db()
        assert email.status == OutboxEmail.Status.FAILED
        assert "interrupted" in email.last_error
        assert smtp_server.messages == []

        email_requeue(email_id=email.pk)  # the staff action: a deliberate second try

    assert len(smtp_server.messages) == 1
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_sc4_the_claim_is_committed_before_the_smtp_server_is_contacted(smtp_server, settings) -> None:
    """While the SMTP conversation runs, another process already sees the row as "sending"."""
    seen: list[str] = []

    class Peek(SmtpBackend):
        def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
            from django.db import connections

            # A second connection: only committed data is visible to it.
            other = connections.create_connection("default")
            try:
                with other.cursor() as cursor:
                    cursor.execute("SELECT status FROM mailing_outboxemail")
                    seen.extend(row[0] for row in cursor.fetchall())
            finally:
                other.close()
            return super().send_messages(email_messages)

    globals()["Peek"] = Peek
    settings.EMAIL_BACKEND = f"{__name__}.Peek"
    try:
        _queue(language="fr")
    finally:
        del globals()["Peek"]

    assert seen == ["sending"]
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.SENT
    assert len(smtp_server.messages) == 1
