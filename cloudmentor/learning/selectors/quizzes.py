"""A lesson's quiz and a member's attempts (LM-5)."""

from __future__ import annotations

from django.db.models import QuerySet

from cloudmentor.accounts.models import User

from ..models import Lesson, Quiz, QuizAttempt


def quiz_get(*, lesson: Lesson) -> Quiz | None:
    """Return the lesson's quiz with its questions and choices (three queries), or None."""
    return Quiz.objects.filter(lesson=lesson).prefetch_related("questions__choices").first()


def attempt_list(*, user: User, quiz: Quiz | int, limit: int = 10) -> QuerySet[QuizAttempt]:
    return QuizAttempt.objects.filter(user=user, quiz=quiz).order_by("-submitted_at", "-pk")[:limit]


def attempt_get_for_review(*, user: User, attempt_id: int) -> QuizAttempt:
    """Return the member's attempt with its quiz, lesson and course; raise QuizAttempt.DoesNotExist."""
    return QuizAttempt.objects.select_related("quiz__lesson__course", "quiz__lesson__module").get(
        pk=attempt_id, user=user
    )
