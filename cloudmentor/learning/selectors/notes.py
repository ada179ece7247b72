"""A member's private notes on lessons (LX-6): the one on the lesson page, all of them for the export.

The lesson page gets the member's notes in the course with their progress (`course_progress`,
one query for both, cached); this module renders the one shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.safestring import SafeString, mark_safe

from cloudmentor.accounts.models import User
from cloudmentor.accounts.selectors import user_stamp
from cloudmentor.core import stamps

from .. import rendering
from ..models import LessonNote

# A member's note on a lesson is cached at most this long (the note services bump `notes_stamp`).
NOTE_CACHE_SECONDS = 300


@dataclass(frozen=True)
class NoteShown:
    """A member's note on a lesson as the lesson page shows it: the text typed and its safe rendering."""

    body: str = ""
    html: SafeString = field(default_factory=SafeString)

    @property
    def exists(self) -> bool:
        return bool(self.body)


def notes_stamp(user_id: object) -> str:
    """The change stamp of a member's notes: bumped by every save, deletion and erasure."""
    return f"learning:notes:{user_id}"


def note_shown(*, user: User, lesson_id: int, body: str) -> NoteShown:
    """Return the member's note on the lesson (`body`, from `course_progress`) with its rendering, no query.

    The rendering is cached for this member and lesson only, checked against their notes'
    stamp and their account's: nobody else's page reads it, and an erased account's notes
    are never shown. It is not the shared cache of `rendering.render_text` (keyed by
    content): a private text never lands where another member's page could look.
    """
    if not body:
        return NoteShown()
    key = f"learning:note:{user.pk}:{lesson_id}"
    found = stamps.lookup(key, user_stamp(user.pk), notes_stamp(user.pk))
    if found.value is not None and found.value.body == body:
        cached: NoteShown = found.value
        return cached
    shown = NoteShown(body=body, html=mark_safe(rendering.render(body).html))  # noqa: S308 - sanitized by nh3
    stamps.store(key, shown, found, NOTE_CACHE_SECONDS)
    return shown


def lesson_note_list(*, user: User) -> list[LessonNote]:
    """Return every note of the member with its lesson and course (one query), by course and lesson."""
    return list(
        LessonNote.objects.filter(user=user)
        .select_related("lesson__course")
        .only("body", "created_at", "updated_at", "lesson__slug", "lesson__title", "lesson__course__slug")
        .order_by("lesson__course__slug", "lesson__position", "lesson__pk")
    )
