"""Quiz attempts, scored; passing completes the quiz lesson (LM-5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.db import transaction

from cloudmentor.accounts.models import User

from ..models import Enrollment, Quiz, QuizAttempt
from ._common import _now, _require_open
from .progress import _complete, lesson_visit


@transaction.atomic
def quiz_attempt_submit(*, user: User, quiz: Quiz, answers: Mapping[int, Sequence[int]]) -> QuizAttempt:
    """Score an attempt: a question counts when exactly its correct choices were picked.

    Passing the pass mark completes the quiz lesson, and maybe the course (certificate).
    """
    lesson = quiz.lesson
    _require_open(user=user, lesson=lesson)
    questions = list(quiz.questions.prefetch_related("choices"))
    recorded: dict[str, list[int]] = {}
    correct = 0
    for question in questions:
        valid = {choice.pk for choice in question.choices.all()}
        picked = sorted({int(pk) for pk in answers.get(question.pk, ()) if int(pk) in valid})
        recorded[str(question.pk)] = picked
        if set(picked) == {choice.pk for choice in question.choices.all() if choice.is_correct}:
            correct += 1
    total = len(questions)
    percent = round(100 * correct / total) if total else 0
    attempt = QuizAttempt.objects.create(
        user=user,
        quiz=quiz,
        answers=recorded,
        correct_count=correct,
        question_count=total,
        score_percent=percent,
        is_passed=bool(total) and percent >= quiz.pass_mark_percent,
        submitted_at=_now(),
    )
    if attempt.is_passed:
        _complete(user=user, lesson=lesson)
    else:
        lesson_visit(
            user=user, lesson=lesson, enrollment=Enrollment.objects.filter(user=user, course=lesson.course).first()
        )
    return attempt
