"""Members are emailed once about each published version, in their language, in batches (TM-1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.legal import services
from cloudmentor.legal.models import PolicyDocument, PolicyNotice
from cloudmentor.legal.services.notices import _notify_batch
from cloudmentor.mailing.models import OutboxEmail
from conftest import body_text

pytestmark = pytest.mark.django_db


def test_tm1_each_active_member_gets_one_email_in_their_language_through_smtp(
    smtp_server: Any, publish: Callable[..., PolicyDocument], settings: Any
) -> None:
    settings.SITE_URL = "https://cloudmentor.example"
    UserFactory(username="lea", email="lea@example.org", language="fr")
    UserFactory(username="sam", email="sam@example.org", language="en")
    UserFactory(username="off", email="off@example.org", is_active=False)

    document = publish(summary_fr="Nouvelle durée de conservation.", summary_en="New retention period.")

    by_address = {message["X-Envelope-To"]: message for message in smtp_server.messages}
    assert sorted(by_address) == ["lea@example.org", "sam@example.org"]
    french, english = by_address["lea@example.org"], by_address["sam@example.org"]
    assert french["Subject"] == "Nos conditions d'utilisation changent"
    assert "Nouvelle durée de conservation." in body_text(french)
    assert "https://cloudmentor.example/legal/terms/" in body_text(french)
    assert "version 2" in body_text(french)
    assert english["Subject"] == "Our terms of use are changing"
    assert "New retention period." in body_text(english)
    assert "https://cloudmentor.example/en/legal/terms/" in body_text(english)

    # Running the job again (or the scheduler's catch-up) sends nothing more.
    assert services.policy_notify_members(document_id=document.pk) == 0
    assert services.policy_notify_pending() == 0
    assert len(smtp_server.messages) == 2
    assert PolicyNotice.objects.filter(document=document).count() == 2


def test_tm1_a_run_that_stopped_halfway_resumes_without_duplicate_or_gap(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Batches commit one by one; a lost cursor is caught by the unique (version, member) row."""
    members = [UserFactory(language="fr") for _n in range(7)]
    draft = PolicyDocument.objects.create(
        kind="privacy", body_fr="x", body_en="x", summary_fr="Résumé", summary_en="Summary"
    )
    # Published without its task (the worker died before running it).
    with django_capture_on_commit_callbacks(execute=False):
        services.policy_publish(document=draft, by=None)

    with django_capture_on_commit_callbacks(execute=True):
        queued, finished = _notify_batch(document_id=draft.pk, batch_size=3)  # then the process dies
    assert (queued, finished) == (3, False)
    PolicyDocument.objects.filter(pk=draft.pk).update(notify_cursor=0)  # even the cursor is lost

    with django_capture_on_commit_callbacks(execute=True):
        assert services.policy_notify_pending(batch_size=3) == len(members) - 3

    recipients = sorted(email.to[0] for email in mail.outbox)
    assert recipients == sorted(member.email for member in members)
    assert OutboxEmail.objects.filter(template="legal/emails/new_version").count() == len(members)
    assert PolicyDocument.objects.get(pk=draft.pk).notified_at is not None


def test_tm1_members_who_registered_after_the_publication_are_not_emailed(
    publish: Callable[..., PolicyDocument], django_capture_on_commit_callbacks: Any
) -> None:
    before = UserFactory()
    document = publish()
    mail.outbox.clear()
    UserFactory()  # accepted the new version when registering
    PolicyDocument.objects.filter(pk=document.pk).update(notified_at=None)

    with django_capture_on_commit_callbacks(execute=True):
        services.policy_notify_pending()

    assert mail.outbox == []
    assert list(PolicyNotice.objects.values_list("user_id", flat=True)) == [before.pk]


def test_tm1_the_first_shipped_version_is_announced_to_nobody(django_capture_on_commit_callbacks: Any) -> None:
    UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.policy_notify_pending() == 0
    assert mail.outbox == []


def test_tm1_many_members_are_emailed_in_batches(
    publish: Callable[..., PolicyDocument], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.LEGAL_NOTIFY_BATCH_SIZE = 40
    UserFactory.create_batch(130, language="en")

    document = publish(kind="cookies")

    assert len(mail.outbox) == 130
    assert len({message.to[0] for message in mail.outbox}) == 130
    assert all(message.subject == "Our cookie policy is changing" for message in mail.outbox)
    stored = PolicyDocument.objects.get(pk=document.pk)
    assert stored.notified_at is not None and stored.notify_cursor == max(
        PolicyNotice.objects.values_list("user_id", flat=True)
    )
