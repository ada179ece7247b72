"""No usable secret at rest in the outbox (TR-3, docs/decisions/0102-no-secret-at-rest.md).

Emails go through the real SMTP server (`smtp_server`); templates are named by path only
(the outbox renders any app's template), so no app above mailing is imported.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from cloudmentor.mailing.models import OutboxEmail
from cloudmentor.mailing.services import (
    SECRET_TEMPLATES,
    UNREADABLE,
    email_body_purge,
    email_queue,
    email_requeue,
    email_send,
    mailing_export_for_address,
)
from conftest import body_text

RESET = "accounts/emails/password_reset"
TOKEN = "MQ.c4x5kz-0f1e2d3c4b5a69788796a5b4c3d2e1f0"
RESET_URL = f"https://cloudmentor.example/accounts/password/reset/{TOKEN}/"
CONTACT = "operations/emails/contact_received"


class _Contact:
    name = "Ada Lovelace"
    email = "ada@example.com"
    subject = "Facturation"
    message = "Bonjour, une question sur ma facture."


def _queue_reset(to: str = "alice@example.org", language: str = "fr") -> OutboxEmail:
    context = {"username": "alice", "reset_url": RESET_URL, "valid_minutes": 60}
    with transaction.atomic():
        return email_queue(to=to, template=RESET, context=context, language=language)


def _stored(email: OutboxEmail) -> str:
    return json.dumps(list(OutboxEmail.objects.filter(pk=email.pk).values()), default=str)


@pytest.mark.django_db(transaction=True)
def test_tr3_a_secret_email_is_stored_encrypted_and_its_body_dropped_once_sent(smtp_server: Any) -> None:
    """The link leaves by SMTP; the row never holds it in clear and keeps only metadata once sent."""
    smtp_server.stop()
    email = _queue_reset()
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.QUEUED and email.has_secret
    assert email.sealed_body and TOKEN not in _stored(email)
    assert email.body_text == "[retiré : lien à usage unique]" and email.body_html == "" and email.headers == {}

    smtp_server.start()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert email_send(email_id=email.pk) is True

    (message,) = smtp_server.messages
    assert RESET_URL in body_text(message)
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT and email.sent_at is not None
    assert email.to == "alice@example.org" and email.template == RESET and email.subject
    assert email.sealed_body == "" and email.body_removed_at is not None
    assert TOKEN not in _stored(email)


@pytest.mark.django_db(transaction=True)
def test_tr3_a_retry_of_an_encrypted_email_delivers_the_right_body(smtp_server: Any) -> None:
    """The SMTP server is down at first: the retry job decrypts the stored body and sends it, once."""
    smtp_server.stop()
    with time_machine.travel("2027-02-01 09:00:00+00:00", tick=False) as clock:
        email = _queue_reset(language="en")
        email.refresh_from_db()
        assert email.attempts == 1 and email.status == OutboxEmail.Status.QUEUED and email.sealed_body

        smtp_server.start()
        clock.shift(timedelta(minutes=1))
        call_command("mailing_retry")
        call_command("mailing_retry")

    (message,) = smtp_server.messages
    text = body_text(message)
    assert RESET_URL in text and "Hello alice" in text  # the English body, as rendered when queued
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.SENT and email.attempts == 2 and email.sealed_body == ""
    assert email.body_text == "[removed: single-use link]"


@pytest.mark.django_db(transaction=True)
def test_tr3_a_secret_email_given_up_keeps_no_body_and_cannot_be_resent(smtp_server: Any, settings: Any) -> None:
    """After the last attempt the encrypted body is gone: staff cannot resend a placeholder."""
    settings.MAILING_MAX_ATTEMPTS = 1
    smtp_server.stop()
    email = _queue_reset()

    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED and email.sealed_body == "" and email.body_removed_at
    with transaction.atomic():
        assert email_requeue(email_id=email.pk) is False
    email.refresh_from_db()
    assert email.status == OutboxEmail.Status.FAILED
    assert TOKEN not in _stored(email)


@pytest.mark.django_db(transaction=True)
def test_tr3_a_tampered_sealed_body_is_never_sent(smtp_server: Any) -> None:
    """A body that does not decrypt (moved to another row, key retired) fails with a reason; nothing leaves."""
    smtp_server.stop()
    email = _queue_reset()
    other = _queue_reset(to="mallory@example.net")
    OutboxEmail.objects.filter(pk=other.pk).update(sealed_body=OutboxEmail.objects.get(pk=email.pk).sealed_body)
    smtp_server.start()

    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert email_send(email_id=other.pk) is False

    assert smtp_server.messages == []
    other.refresh_from_db()
    assert other.status == OutboxEmail.Status.FAILED and other.last_error == UNREADABLE and other.sealed_body == ""


@pytest.mark.django_db
def test_tr3_a_template_marked_secret_is_sealed_without_a_recognisable_link(
    monkeypatch: pytest.MonkeyPatch, mailoutbox: list[Any]
) -> None:
    """An app marks its template with one line in ``AppConfig.ready()``: ``SECRET_TEMPLATES.add(name)``."""
    monkeypatch.setattr("cloudmentor.mailing.services.SECRET_TEMPLATES", SECRET_TEMPLATES | {CONTACT})

    email = email_queue(to="staff@example.com", template=CONTACT, context={"contact": _Contact()}, language="fr")

    assert email.has_secret and email.sealed_body and "Ada Lovelace" not in email.body_text


@pytest.mark.django_db
def test_tr3_the_export_holds_the_placeholder_never_the_link(mailoutbox: list[Any]) -> None:
    _queue_reset()

    (row,) = mailing_export_for_address(email="Alice@example.org")

    assert row["body_text"] == "[retiré : lien à usage unique]" and row["template"] == RESET
    assert TOKEN not in json.dumps(row, default=str)


@pytest.mark.django_db(transaction=True)
def test_tr3_the_purge_drops_old_bodies_and_keeps_their_metadata(smtp_server: Any, settings: Any) -> None:
    """Past MAILING_BODY_RETENTION_DAYS a sent email keeps address, template, subject, status and times."""
    settings.MAILING_BODY_RETENTION_DAYS = 30
    with time_machine.travel("2027-03-01 09:00:00+00:00", tick=False) as clock:
        old = email_queue(to="staff@example.com", template=CONTACT, context={"contact": _Contact()}, language="fr")
        clock.shift(timedelta(days=20))
        recent = email_queue(to="staff@example.com", template=CONTACT, context={"contact": _Contact()}, language="fr")
        clock.shift(timedelta(days=11))

        call_command("mailing_purge")
        assert email_body_purge() == 0  # idempotent

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.body_text == old.body_html == "" and old.headers == {}
    assert old.body_removed_at is not None
    assert (old.to, old.template, old.subject, old.status) == (
        "staff@example.com",
        CONTACT,
        "[Contact] Facturation",
        OutboxEmail.Status.SENT,
    )
    assert old.sent_at is not None and old.created_at is not None
    assert "Ada Lovelace" in recent.body_text and recent.body_removed_at is None
    with transaction.atomic():
        assert email_requeue(email_id=old.pk) is False


@pytest.mark.django_db(transaction=True)
def test_tr3_the_migration_seals_or_withdraws_the_links_stored_before(mailoutbox: list[Any]) -> None:
    """Rows written before TR-3: a sent link is withdrawn, a queued one sealed (still sent), others untouched."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("mailing", "0003_outbox_sending")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("mailing", "OutboxEmail")
    text = f"Bonjour alice,\n\n{RESET_URL}\n"
    sent = old.objects.create(
        to="a@example.org", template=RESET, language="en", subject="s", body_text=text, status="sent"
    )
    queued = old.objects.create(to="b@example.org", template=RESET, language="fr", subject="s", body_text=text)
    plain = old.objects.create(
        to="c@example.org",
        template=CONTACT,
        language="fr",
        subject="s",
        body_text="https://cloudmentor.example/account/",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    rows = {row.pk: row for row in OutboxEmail.objects.all()}
    assert rows[sent.pk].body_text == "[removed: single-use link]" and rows[sent.pk].body_removed_at is not None
    assert rows[queued.pk].has_secret and rows[queued.pk].sealed_body and rows[queued.pk].body_removed_at is None
    assert not rows[plain.pk].has_secret and rows[plain.pk].body_text == "https://cloudmentor.example/account/"
    assert TOKEN not in json.dumps(list(OutboxEmail.objects.values()), default=str)
    assert email_send(email_id=queued.pk) is True
    assert RESET_URL in mailoutbox[0].body
