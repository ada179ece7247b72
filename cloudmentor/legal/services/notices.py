"""Emails to members about a new version, sent in batches, once each (TM-1)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from cloudmentor.mailing.services import email_queue

from .. import selectors
from ..models import PolicyDocument, PolicyKind, PolicyNotice

DEFAULT_NOTIFY_BATCH_SIZE = 200


def _link(language: str, name: str, **kwargs: Any) -> str:
    with translation.override(language):
        return f"{settings.SITE_URL}{reverse(name, kwargs=kwargs)}"


def _notify_batch(*, document_id: int, batch_size: int) -> tuple[int, bool]:
    """Queue the emails of the next `batch_size` members in one short transaction.

    Returns (emails queued, whether every member is done). The document row is locked
    for the batch, so two runners take turns; the unique (document, member) row makes a
    second email impossible even if the cursor were wrong.
    """
    with transaction.atomic():
        document = PolicyDocument.objects.select_for_update().filter(pk=document_id).first()
        if document is None or document.published_at is None or document.notified_at is not None:
            return 0, True
        members = selectors.members_to_notify(document=document, after_id=document.notify_cursor, limit=batch_size)
        done_ids = set(
            PolicyNotice.objects.filter(document=document, user_id__in=[member.pk for member in members]).values_list(
                "user_id", flat=True
            )
        )
        notices = []
        for member in members:
            if member.pk in done_ids:
                continue
            language = member.language if member.language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
            email = email_queue(
                to=member.email,
                template="legal/emails/new_version",
                context={
                    "username": member.username,
                    "kind": document.kind,
                    "version": document.version,
                    "published_at": document.published_at,
                    "summary": document.summary_in(language),
                    "policy_url": _link(language, "legal:policy", kind=document.kind),
                    "is_terms": document.kind == PolicyKind.TERMS,
                },
                language=language,
            )
            notices.append(PolicyNotice(document=document, user=member, email=email))
        PolicyNotice.objects.bulk_create(notices)
        if members:
            document.notify_cursor = members[-1].pk
        finished = len(members) < batch_size
        if finished:
            document.notified_at = timezone.now()
        document.save(update_fields=["notify_cursor", "notified_at"])
    return len(notices), finished


def policy_notify_members(*, document_id: int, batch_size: int | None = None) -> int:
    """Email every member about a published version, batch after batch; return how many emails.

    Safe to run twice or at the same time as another run, and to resume after a crash: a
    batch is one transaction (its emails and its `PolicyNotice` rows commit together).
    """
    size = batch_size or int(getattr(settings, "LEGAL_NOTIFY_BATCH_SIZE", DEFAULT_NOTIFY_BATCH_SIZE))
    total = 0
    while True:
        queued, finished = _notify_batch(document_id=document_id, batch_size=size)
        total += queued
        if finished:
            return total


def policy_notify_pending(*, batch_size: int | None = None) -> int:
    """Finish the emails of every published version not yet announced to all (scheduled)."""
    pending = PolicyDocument.objects.filter(published_at__isnull=False, notified_at__isnull=True)
    return sum(
        policy_notify_members(document_id=pk, batch_size=batch_size)
        for pk in pending.order_by("published_at").values_list("pk", flat=True)
    )
