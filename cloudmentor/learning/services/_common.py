"""What the writes of every flow share: the clock, absolute links, the open-lesson check, the progress stamp."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from cloudmentor.accounts.models import User
from cloudmentor.billing import selectors as billing
from cloudmentor.core import stamps

from ..exceptions import LessonLocked, NotPublished
from ..models import Lesson
from ..selectors import lesson_is_open, progress_stamp


def _now() -> datetime:
    return timezone.now()


def _absolute(path: str) -> str:
    return str(settings.SITE_URL) + path


def _require_open(*, user: User, lesson: Lesson) -> None:
    if not (lesson.is_published and lesson.course.is_published):
        raise NotPublished
    if not lesson_is_open(lesson=lesson, access_level=billing.user_access_level(user=user)):
        raise LessonLocked


def _progress_changed(user: User) -> None:
    """Make the member's cached progress stale (`selectors.course_progress`)."""
    stamps.bump(progress_stamp(user.pk))
