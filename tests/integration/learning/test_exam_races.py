"""Exams under concurrency (LX-1): the cap and the single answer of a draw hold whatever process serves the posts.

Run on PostgreSQL (``scripts/with-postgres.sh .venv/bin/pytest tests/integration/learning``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from cloudmentor.billing import services as billing_services
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import services
from cloudmentor.learning.exceptions import LearningError, QuizDrawClosed
from cloudmentor.learning.models import AttemptAnswer, Quiz, QuizAttempt, QuizDraw
from cloudmentor.learning.tests.factories import (
    CourseFactory,
    LessonFactory,
    ModuleFactory,
    QuizFactory,
    UserFactory,
    question_with_choices,
)
from conftest import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.fixture
def exam() -> tuple[Any, Quiz]:
    member = UserFactory(username="candidate")
    now = timezone.now()
    billing_services.subscription_grant(
        holder=member,
        access_level=AccessLevel.PRO,
        starts_at=now,
        ends_at=now + timedelta(days=30),
        actor=None,
        reason="t",
    )
    module = ModuleFactory(course=CourseFactory(slug="k8s", access_level=AccessLevel.PRO))
    quiz = QuizFactory(
        lesson=LessonFactory(module=module, slug="examen", kind="quiz", body="Examen.", position=1),
        draw_count=3,
        max_attempts=3,
        cooldown_minutes=0,
    )
    for number in range(6):
        question_with_choices(quiz, f"Question {number} ?", [("oui", True), ("non", False)])
    return member, quiz


def test_lx1_a_draw_posted_by_eight_processes_at_once_is_scored_once(exam: tuple[Any, Quiz]) -> None:
    member, quiz = exam
    draw = services.quiz_draw_start(user=member, quiz=quiz)

    results = race(8, lambda _n: services.quiz_attempt_submit(user=member, quiz=quiz, answers={}, draw_id=draw.pk))

    attempts = [result for result in results if isinstance(result, QuizAttempt)]
    assert len(attempts) == 1, results
    assert all(isinstance(result, QuizDrawClosed) for result in results if result is not attempts[0])
    assert QuizAttempt.objects.count() == 1 and AttemptAnswer.objects.count() == 3


def test_lx1_eight_processes_starting_at_once_share_one_draw(exam: tuple[Any, Quiz]) -> None:
    member, quiz = exam

    draws = race(8, lambda _n: services.quiz_draw_start(user=member, quiz=quiz))

    assert {draw.pk for draw in draws if isinstance(draw, QuizDraw)} == {QuizDraw.objects.get().pk}, draws


def test_lx1_the_attempt_cap_holds_when_processes_race_to_retake(exam: tuple[Any, Quiz]) -> None:
    """Eight workers each start and fail attempts as fast as they can: three attempts, never four."""
    member, quiz = exam

    def retake(_n: int) -> int:
        made = 0
        for _try in range(10):
            try:
                draw = services.quiz_draw_start(user=member, quiz=quiz)
                services.quiz_attempt_submit(user=member, quiz=quiz, answers={}, draw_id=draw.pk)
                made += 1
            except LearningError:
                continue
        return made

    results = race(8, retake)

    assert sum(result for result in results if isinstance(result, int)) == 3, results
    assert QuizAttempt.objects.filter(user=member, quiz=quiz).count() == 3
    assert QuizDraw.objects.filter(is_open=True).count() == 0
