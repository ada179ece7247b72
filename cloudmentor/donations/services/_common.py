"""The clock every donations flow reads (a seam for tests)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def _now() -> datetime:
    return timezone.now()
