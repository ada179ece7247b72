"""Erasing a member's learning data (PV-10)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from cloudmentor.accounts.models import User
from cloudmentor.core.pagecache import pages_invalidate

from ..models import (
    Certificate,
    Enrollment,
    ErrorReport,
    LessonCompletion,
    LessonNote,
    QuizAllowance,
    QuizAttempt,
    QuizDraw,
)
from ._common import _progress_changed
from .notes import _notes_changed


@transaction.atomic
def learning_erase_for_user(*, user: User) -> dict[str, int]:
    """Erase the member's progress, attempts, certificates and notes; keep error reports, anonymised; return counts.

    A report is about the material (staff correct it, TM-11): it stays, tied to the
    anonymised account only, and no outcome email goes out for it any more.
    """
    counts = {
        "enrollments": _deleted(Enrollment.objects.filter(user=user)),
        "completions": _deleted(LessonCompletion.objects.filter(user=user)),
        "quiz_attempts": _deleted(QuizAttempt.objects.filter(user=user)),
        "certificates": _deleted(Certificate.objects.filter(user=user)),
        "notes": _deleted(LessonNote.objects.filter(user=user)),
        "error_reports_kept": ErrorReport.objects.filter(reporter=user).count(),
    }
    # What only served the attempts (the questions drawn, extra attempts granted) goes with them.
    QuizDraw.objects.filter(user=user).delete()
    QuizAllowance.objects.filter(user=user).delete()
    _progress_changed(user)
    _notes_changed(user)
    transaction.on_commit(pages_invalidate)  # certificate verification pages
    return counts


def _deleted(rows: QuerySet[Any]) -> int:
    """Delete `rows`; return how many of them went, not counting the rows that cascaded with them
    (an attempt's answers are not attempts)."""
    return rows.delete()[1].get(rows.model._meta.label, 0)
