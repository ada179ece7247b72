"""Policy versions: seeding from the shipped texts, drafts, publishing (TM-1)."""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from cloudmentor.accounts.models import User
from cloudmentor.core.pagecache import pages_invalidate

from ..caching import policies_changed
from ..exceptions import PolicyAlreadyPublished, PolicyIncomplete
from ..models import PolicyDocument, PolicyKind, PolicySequence

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"
_TITLE = re.compile(r"^<!--\s*title:\s*(.+?)\s*-->\s*\n", re.MULTILINE)


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
    from ..tasks import policy_notify_members_task

    policy_notify_members_task.enqueue(document_id)
