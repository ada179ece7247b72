from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import PolicyDocument, PolicyKind

CONTENT_DIR = Path(__file__).resolve().parent / "content"
_TITLE = re.compile(r"^<!--\s*title:\s*(.+?)\s*-->\s*\n", re.MULTILINE)


def _read_seed(kind: str, language: str) -> tuple[str, str]:
    text = (CONTENT_DIR / language / f"{kind}.md").read_text(encoding="utf-8")
    match = _TITLE.match(text)
    if match is None:
        raise ValueError(f"{kind}.{language}: the first line must be <!-- title: ... -->")
    return match.group(1), text[match.end() :].strip() + "\n"


@transaction.atomic
def policy_seed() -> int:
    """Publish version 1 of each policy in each language when none exists; return how many."""
    created = 0
    now = timezone.now()
    for kind in PolicyKind.values:
        for language, _name in settings.LANGUAGES:
            if PolicyDocument.objects.filter(kind=kind, language=language).exists():
                continue
            title, body = _read_seed(kind, language)
            PolicyDocument.objects.create(
                kind=kind, version=1, language=language, title=title, body=body, published_at=now
            )
            created += 1
    return created
