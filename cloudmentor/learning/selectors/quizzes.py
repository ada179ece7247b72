"""A lesson's quiz, a member's attempts and where they stand on an exam (LM-5, LX-1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Q, QuerySet, Sum

from cloudmentor.accounts.models import User

from ..models import AttemptAnswer, Lesson, Question, Quiz, QuizAllowance, QuizAttempt, QuizDraw


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


@dataclass(frozen=True)
class ExamState:
    """Where a member stands on an exam: attempts used and allowed, the delay, the open draw (LX-1)."""

    quiz: Quiz
    used: int
    allowed: int | None  # None: no limit
    has_passed: bool
    last_failed_at: datetime | None
    open_draw: QuizDraw | None
    now: datetime

    @property
    def is_exhausted(self) -> bool:
        return not self.has_passed and self.allowed is not None and self.used >= self.allowed

    @property
    def remaining(self) -> int | None:
        return None if self.allowed is None else max(self.allowed - self.used, 0)

    @property
    def available_at(self) -> datetime | None:
        """When the next attempt opens, if the delay since the last failure is still running."""
        if self.last_failed_at is None or not self.quiz.cooldown_minutes:
            return None
        opens = self.last_failed_at + timedelta(minutes=self.quiz.cooldown_minutes)
        return opens if opens > self.now else None

    @property
    def can_start(self) -> bool:
        return not self.has_passed and not self.is_exhausted and self.available_at is None

    @property
    def reveals_answers(self) -> bool:
        """Answers and explanations: after a pass, or after the last allowed attempt if the quiz says so."""
        return self.has_passed or (self.quiz.reveal_after_last_attempt and self.is_exhausted)


def exam_state(*, user: User, quiz: Quiz, now: datetime) -> ExamState:
    """Return the member's standing on `quiz`, counted in the database (three queries)."""
    counts = QuizAttempt.objects.filter(user=user, quiz=quiz).aggregate(
        used=Count("pk"), passed=Count("pk", filter=Q(is_passed=True))
    )
    last_failed = (
        QuizAttempt.objects.filter(user=user, quiz=quiz, is_passed=False)
        .order_by("-submitted_at")
        .values_list("submitted_at", flat=True)
        .first()
    )
    allowed: int | None = None
    if quiz.max_attempts:
        extra = QuizAllowance.objects.filter(user=user, quiz=quiz).aggregate(extra=Sum("extra_attempts"))["extra"]
        allowed = quiz.max_attempts + (extra or 0)
    return ExamState(
        quiz=quiz,
        used=counts["used"],
        allowed=allowed,
        has_passed=counts["passed"] > 0,
        last_failed_at=last_failed,
        open_draw=QuizDraw.objects.filter(user=user, quiz=quiz, is_open=True).first(),
        now=now,
    )


@dataclass(frozen=True)
class QuestionStatistics:
    question: Question
    answered: int
    correct: int

    @property
    def success_percent(self) -> int | None:
        return round(100 * self.correct / self.answered) if self.answered else None


@dataclass(frozen=True)
class QuizStatistics:
    attempts: int
    passed: int
    average_score: float | None
    questions: list[QuestionStatistics]  # hardest first (lowest success), never asked last


def quiz_statistics(*, quiz: Quiz) -> QuizStatistics:
    """Return the staff's figures for a quiz: attempts, average score, each question's success (two queries)."""
    totals = QuizAttempt.objects.filter(quiz=quiz).aggregate(
        attempts=Count("pk"), passed=Count("pk", filter=Q(is_passed=True)), average=Avg("score_percent")
    )
    per_question = {
        row["question"]: row
        for row in AttemptAnswer.objects.filter(question__quiz=quiz)
        .values("question")
        .annotate(answered=Count("pk"), correct=Count("pk", filter=Q(is_correct=True)))
    }
    rows = [
        QuestionStatistics(
            question=question,
            answered=per_question.get(question.pk, {}).get("answered", 0),
            correct=per_question.get(question.pk, {}).get("correct", 0),
        )
        for question in Question.objects.filter(quiz=quiz).order_by("position", "pk")
    ]
    rows.sort(key=lambda row: (row.success_percent is None, row.success_percent or 0))
    return QuizStatistics(
        attempts=totals["attempts"],
        passed=totals["passed"],
        average_score=round(totals["average"], 1) if totals["average"] is not None else None,
        questions=rows,
    )
