"""Exams: a draw per attempt, attempts scored, capped and spaced; passing completes the quiz lesson (LM-5, LX-1)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from cloudmentor.accounts.models import User

from ..exceptions import QuizAlreadyPassed, QuizAttemptsExhausted, QuizCooldown, QuizDrawClosed
from ..models import AttemptAnswer, Enrollment, Question, Quiz, QuizAllowance, QuizAttempt, QuizDraw
from ..selectors.quizzes import ExamState, exam_state
from ._common import _now, _require_open
from .progress import _complete, lesson_visit

_random = secrets.SystemRandom()


def _refuse_unless_startable(state: ExamState) -> None:
    if state.has_passed:
        raise QuizAlreadyPassed
    if state.is_exhausted:
        raise QuizAttemptsExhausted
    if (available_at := state.available_at) is not None:
        raise QuizCooldown(available_at)


def quiz_draw_start(*, user: User, quiz: Quiz) -> QuizDraw:
    """Draw the questions of the member's next attempt, or return the draw already open.

    `quiz.draw_count` questions of the pool (all when 0), in a random order, each with its
    choices shuffled; stored, so that reloading the page shows the same questions. Refused
    after a pass, when the attempts are used up, and during the delay after a failure.
    """
    _require_open(user=user, lesson=quiz.lesson)
    state = exam_state(user=user, quiz=quiz, now=_now())
    if state.open_draw is not None and not (state.has_passed or state.is_exhausted):
        return state.open_draw
    if state.open_draw is not None:  # left open by a race with the last attempt: never to be answered
        QuizDraw.objects.filter(pk=state.open_draw.pk, is_open=True).delete()
    _refuse_unless_startable(state)
    pool = list(Question.objects.filter(quiz=quiz).prefetch_related("choices"))
    count = len(pool) if not quiz.draw_count else min(quiz.draw_count, len(pool))
    drawn = _random.sample(pool, count)
    questions = []
    for question in drawn:
        choice_ids = [choice.pk for choice in question.choices.all()]
        _random.shuffle(choice_ids)
        questions.append([question.pk, choice_ids])
    try:
        with transaction.atomic():
            draw = QuizDraw.objects.create(user=user, quiz=quiz, questions=questions, drawn_at=_now())
    except IntegrityError:  # another request of the member drew first: theirs is the one
        return QuizDraw.objects.get(user=user, quiz=quiz, is_open=True)
    # The state was read in several queries: an attempt committed by another process between
    # them (the last allowed one, or a failure starting the delay) shows now. Such a draw was
    # never shown: it goes, and the start is refused like the other process's next one.
    try:
        _refuse_unless_startable(exam_state(user=user, quiz=quiz, now=_now()))
    except (QuizAlreadyPassed, QuizAttemptsExhausted, QuizCooldown):
        QuizDraw.objects.filter(pk=draw.pk, is_open=True).delete()
        raise
    return draw


@transaction.atomic
def quiz_attempt_submit(
    *, user: User, quiz: Quiz, answers: Mapping[int, Sequence[int]], draw_id: int | None = None
) -> QuizAttempt:
    """Score the answers to a draw: a question counts when exactly its correct choices were picked.

    `draw_id` is the draw the form showed (None: the open draw, drawn now if there is none).
    A draw is answered once: posting it again raises QuizDrawClosed with its attempt. Only the
    drawn questions and their choices count. Passing the pass mark completes the quiz lesson,
    and maybe the course (certificate).
    """
    lesson = quiz.lesson
    _require_open(user=user, lesson=lesson)
    if draw_id is None:
        draw = quiz_draw_start(user=user, quiz=quiz)
    else:
        try:
            draw = QuizDraw.objects.get(pk=draw_id, user=user, quiz=quiz)
        except QuizDraw.DoesNotExist:
            raise QuizDrawClosed(None) from None
    # Closing the draw is the one write that may succeed: a second post of the same draw
    # (another tab, another process) finds it closed and gets the first one's attempt.
    if not QuizDraw.objects.filter(pk=draw.pk, is_open=True).update(is_open=False):
        raise QuizDrawClosed(QuizAttempt.objects.filter(draw=draw).values_list("pk", flat=True).first())
    state = exam_state(user=user, quiz=quiz, now=_now())
    if state.has_passed:
        raise QuizAlreadyPassed
    if state.is_exhausted:
        raise QuizAttemptsExhausted
    by_id = {
        question.pk: question
        for question in Question.objects.filter(pk__in=draw.question_ids).prefetch_related("choices")
    }
    recorded: dict[str, list[int]] = {}
    results: list[tuple[Question, bool]] = []
    for question_id, choice_ids in draw.questions:
        question = by_id.get(int(question_id))
        if question is None:  # deleted since the draw: it no longer counts
            continue
        shown = {int(pk) for pk in choice_ids}
        picked = sorted({int(pk) for pk in answers.get(question.pk, ()) if int(pk) in shown})
        recorded[str(question.pk)] = picked
        right = {choice.pk for choice in question.choices.all() if choice.is_correct}
        results.append((question, set(picked) == right))
    correct = sum(1 for _question, is_right in results if is_right)
    total = len(results)
    percent = round(100 * correct / total) if total else 0
    attempt = QuizAttempt.objects.create(
        user=user,
        quiz=quiz,
        draw=draw,
        answers=recorded,
        topic_scores=_topic_scores(results),
        correct_count=correct,
        question_count=total,
        score_percent=percent,
        is_passed=bool(total) and percent >= quiz.pass_mark_percent,
        submitted_at=_now(),
    )
    AttemptAnswer.objects.bulk_create(
        AttemptAnswer(attempt=attempt, question=question, is_correct=is_right) for question, is_right in results
    )
    if attempt.is_passed:
        _complete(user=user, lesson=lesson)
    else:
        lesson_visit(
            user=user, lesson=lesson, enrollment=Enrollment.objects.filter(user=user, course=lesson.course).first()
        )
    return attempt


def _topic_scores(results: list[tuple[Question, bool]]) -> list[dict[str, object]]:
    """Score per topic, in the order topics first appear; questions without a topic share one line."""
    totals: dict[str, list[int]] = {}
    english: dict[str, str] = {}  # each topic's English name (LX-5), the first one given
    for question, is_right in results:
        topic = question.topic.strip()
        counts = totals.setdefault(topic, [0, 0])
        counts[0] += 1 if is_right else 0
        counts[1] += 1
        if not english.get(topic):
            english[topic] = question.topic_en.strip()
    return [
        {"topic": topic, "topic_en": english[topic], "correct": correct, "total": total}
        for topic, (correct, total) in totals.items()
    ]


@transaction.atomic
def quiz_allowance_grant(*, user: User, quiz: Quiz, extra_attempts: int, reason: str, by: User | None) -> QuizAllowance:
    """Give a member more attempts on a quiz (support), with the reason on record (LX-1)."""
    if extra_attempts < 1 or not reason.strip():
        raise ValueError(gettext("Indiquez un nombre de tentatives et un motif."))
    return QuizAllowance.objects.create(
        user=user, quiz=quiz, extra_attempts=extra_attempts, reason=reason.strip(), granted_by=by, granted_at=_now()
    )
