"""A member's private notes on lessons (LX-6): write, rewrite, delete."""

from __future__ import annotations

from django.db import transaction

from cloudmentor.accounts.models import User
from cloudmentor.core import stamps

from ..exceptions import NoteTooLong
from ..models import NOTE_MAX_LENGTH, Lesson, LessonNote
from ..selectors import notes_stamp, progress_stamp
from ._common import _now, _require_open


def _notes_changed(user: User) -> None:
    """Make the member's cached notes stale: their progress copies, which carry them, and the renderings."""
    stamps.bump(notes_stamp(user.pk), progress_stamp(user.pk))


@transaction.atomic
def lesson_note_save(*, user: User, lesson: Lesson, body: str) -> LessonNote | None:
    """Keep `body` as the member's note on the lesson, replacing the previous one; an empty body deletes it.

    The lesson must be open to the member (a note is taken while reading it); raise
    NotPublished or LessonLocked otherwise, NoteTooLong past `NOTE_MAX_LENGTH` characters.
    """
    body = body.replace("\r\n", "\n").strip()
    if not body:
        lesson_note_delete(user=user, lesson=lesson)
        return None
    if len(body) > NOTE_MAX_LENGTH:
        raise NoteTooLong
    _require_open(user=user, lesson=lesson)
    now = _now()
    note, created = LessonNote.objects.select_for_update().get_or_create(
        user=user, lesson=lesson, defaults={"body": body, "created_at": now, "updated_at": now}
    )
    if not created and note.body != body:
        note.body = body
        note.updated_at = now
        note.save(update_fields=["body", "updated_at"])
    _notes_changed(user)
    return note


@transaction.atomic
def lesson_note_delete(*, user: User, lesson: Lesson) -> bool:
    """Delete the member's note on the lesson, whatever their plan now; return whether there was one."""
    deleted = LessonNote.objects.filter(user=user, lesson=lesson).delete()[0] > 0
    _notes_changed(user)
    return deleted
