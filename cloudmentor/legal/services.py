"""Every write of the legal app: seeding, drafts, publishing, member emails, acceptances (TM-1)."""

from __future__ import annotations

import re
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from cloudmentor.accounts.models import User
from cloudmentor.accounts.services import user_terms_accept
from cloudmentor.core.pagecache import pages_invalidate
from cloudmentor.mailing.services import email_queue

from . import selectors
from .caching import policies_changed
from .exceptions import PolicyAlreadyPublished, PolicyIncomplete, TermsVersionOutdated
from .models import PolicyAcceptance, PolicyDocument, PolicyKind, PolicyNotice, PolicySequence

CONTENT_DIR = Path(__file__).resolve().parent / "content"
_TITLE = re.compile(r"^<!--\s*title:\s*(.+?)\s*-->\s*\n", re.MULTILINE)
DEFAULT_NOTIFY_BATCH_SIZE = 200


def _read_seed(kind: str, language: str) -> tuple[str, str]:
    """Return the title and Markdown body of the shipped text (also used by migration 0002)."""
    text = (CONTENT_DIR / language / f"{kind}.md").read_text(encoding="utf-8")
    match = _TITLE.match(text)
    if match is None:
        raise ValueError(f"{kind}.{language}: the first line must be <!-- title: ... -->")
    return match.group(1), text[match.end() :].strip() + "\n"


def _after_publication() -> None:
    policies_changed()
    transaction.on_commit(pages_invalidate)


@transaction.atomic
def policy_seed() -> int:
    """Publish version 1 of each policy that has no published version; return how many.

    The shipped text is the site's first version: members are not emailed about it.
    """
    created = 0
    now = timezone.now()
    for kind in PolicyKind.values:
        sequence, _created = PolicySequence.objects.get_or_create(kind=kind)
        if PolicyDocument.objects.filter(kind=kind, published_at__isnull=False).exists():
            continue
        _title, body_fr = _read_seed(kind, "fr")
        _title, body_en = _read_seed(kind, "en")
        version = sequence.last_version + 1
        PolicyDocument.objects.create(
            kind=kind,
            version=version,
            body_fr=body_fr,
            body_en=body_en,
            published_at=now,
            notified_at=now,
        )
        PolicySequence.objects.filter(kind=kind).update(last_version=version)
        created += 1
    if created:
        _after_publication()
    return created


def policy_draft_save(*, document: PolicyDocument, by: User | None) -> PolicyDocument:
    """Create or update a draft; a published version is never changed."""
    with transaction.atomic():
        if document.pk is not None:
            stored = PolicyDocument.objects.select_for_update().filter(pk=document.pk).first()
            if stored is not None and stored.is_published:
                raise PolicyAlreadyPublished
        else:
            document.created_by = by
        document.version = None
        document.published_at = None
        document.save()
    return document


def policy_draft_delete(*, document: PolicyDocument) -> None:
    with transaction.atomic():
        if PolicyDocument.objects.filter(pk=document.pk, published_at__isnull=False).exists():
            raise PolicyAlreadyPublished
        PolicyDocument.objects.filter(pk=document.pk, published_at__isnull=True).delete()


def _missing(document: PolicyDocument) -> list[str]:
    fields = ("body_fr", "body_en", "summary_fr", "summary_en")
    return [name for name in fields if not str(getattr(document, name) or "").strip()]


@transaction.atomic
def policy_publish(*, document: PolicyDocument, by: User | None) -> PolicyDocument:
    """Publish a draft as the next version of its kind; email members after commit (TM-1).

    Lock order: the draft, then its kind's sequence row, which serialises every publisher
    of the kind until commit, so numbers are gapless and never given twice (the unique
    constraint on (kind, version) stands behind it).
    """
    draft = PolicyDocument.objects.select_for_update().get(pk=document.pk)
    if draft.is_published:
        raise PolicyAlreadyPublished
    missing = _missing(draft)
    if missing:
        raise PolicyIncomplete(missing)
    PolicySequence.objects.get_or_create(kind=draft.kind)
    sequence = PolicySequence.objects.select_for_update().get(kind=draft.kind)
    sequence.last_version += 1
    sequence.save(update_fields=["last_version"])
    now = timezone.now()
    draft.version = sequence.last_version
    draft.published_at = now
    draft.published_by = by
    draft.save(update_fields=["version", "published_at", "published_by"])
    _after_publication()
    transaction.on_commit(partial(_enqueue_notify, draft.pk))
    document.version, document.published_at, document.published_by = draft.version, now, by
    return draft


def _enqueue_notify(document_id: int) -> None:
    from .tasks import policy_notify_members_task

    policy_notify_members_task.enqueue(document_id)


# Emails to members (TM-1) ---------------------------------------------------------------


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


# Acceptance of the terms (TM-1, PV-7) ---------------------------------------------------


def acceptance_record_registration(*, user: User) -> None:
    """Keep in the history the version of the terms accepted at registration."""
    if user.terms_version is None:
        return
    PolicyAcceptance.objects.get_or_create(
        user=user,
        kind=PolicyKind.TERMS,
        version=user.terms_version,
        defaults={
            "accepted_at": user.terms_accepted_at or timezone.now(),
            "source": PolicyAcceptance.Source.REGISTRATION,
        },
    )


@transaction.atomic
def terms_acknowledge(*, user: User, version: int, now: datetime | None = None) -> PolicyAcceptance:
    """Record that the member read version `version` of the terms, the one in force.

    Raises TermsVersionOutdated when a newer version was published since the page was shown.
    """
    current = selectors.policy_current(kind=PolicyKind.TERMS)
    if current is None or current.version != version:
        raise TermsVersionOutdated
    now = now or timezone.now()
    if (
        user.terms_version is not None
        and not PolicyAcceptance.objects.filter(user=user, kind=PolicyKind.TERMS, version=user.terms_version).exists()
    ):
        acceptance_record_registration(user=user)
    acceptance, _created = PolicyAcceptance.objects.get_or_create(
        user=user,
        kind=PolicyKind.TERMS,
        version=version,
        defaults={"accepted_at": now, "source": PolicyAcceptance.Source.NOTICE},
    )
    user_terms_accept(user=user, version=version, accepted_at=acceptance.accepted_at)
    return acceptance
