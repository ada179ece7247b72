"""Exams with integrity: a pool, a draw per attempt, no answers after a failure, a delay and a cap (LX-1, LM-5)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import selectors, services
from cloudmentor.learning.exceptions import QuizAlreadyPassed, QuizAttemptsExhausted, QuizCooldown, QuizDrawClosed
from cloudmentor.learning.models import AttemptAnswer, Certificate, Lesson, Quiz, QuizAttempt, QuizDraw

from .factories import CourseFactory, LessonFactory, ModuleFactory, QuizFactory, question_with_choices

pytestmark = pytest.mark.django_db

# Inside the test subscription (30 days from now).
START = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
TOPICS = ("Pods", "Réseau")


@pytest.fixture
def exam() -> Quiz:
    """A course with one lesson and an exam drawing 4 of 10 questions (two topics), 3 attempts, 60 min apart."""
    module = ModuleFactory(course=CourseFactory(slug="k8s", title="Kubernetes", access_level=AccessLevel.PRO))
    LessonFactory(module=module, slug="pods", position=1)
    quiz = QuizFactory(
        lesson=LessonFactory(module=module, slug="examen", kind="quiz", body="Examen final.", position=2),
        draw_count=4,
        max_attempts=3,
        cooldown_minutes=60,
        pass_mark_percent=75,
    )
    for number in range(10):
        question = question_with_choices(
            quiz,
            f"Question numéro {number} ?",
            [(f"Juste {number}", True), (f"Faux {number}", False), (f"Autre {number}", False)],
            explanation=f"Parce que {number}.",
        )
        question.topic = TOPICS[number % 2]
        question.save(update_fields=["topic"])
    return quiz


def _answers(draw: QuizDraw, *, right: int) -> dict[int, list[int]]:
    """Answer the first `right` drawn questions right and the others wrong."""
    answers: dict[int, list[int]] = {}
    for index, question_id in enumerate(draw.question_ids):
        choices = list(Quiz.objects.get(pk=draw.quiz_id).questions.get(pk=question_id).choices.all())
        pick = next(c for c in choices if c.is_correct == (index < right))
        answers[question_id] = [pick.pk]
    return answers


def _post(draw: QuizDraw, *, right: int) -> dict[str, object]:
    return {
        "draw": str(draw.pk),
        **{f"q{qid}": [str(c) for c in cs] for qid, cs in _answers(draw, right=right).items()},
    }


def test_lx1_each_attempt_draws_n_questions_of_the_pool_in_an_order_that_reloading_never_changes(
    member_client: Client, subscriber: User, exam: Quiz
) -> None:
    member_client.post("/courses/k8s/examen/quiz/start/")
    draw = QuizDraw.objects.get(user=subscriber)
    pages = [member_client.get("/courses/k8s/examen/").content.decode() for _ in range(3)]
    member_client.post("/courses/k8s/examen/quiz/start/")  # starting again keeps the open draw

    shown = [re.findall(r'name="q(\d+)" value="(\d+)"', page) for page in pages]
    assert QuizDraw.objects.filter(user=subscriber).count() == 1
    assert len(draw.question_ids) == 4 and len(set(draw.question_ids)) == 4
    assert set(draw.question_ids) <= set(exam.questions.values_list("pk", flat=True))
    assert shown[0] == shown[1] == shown[2]
    assert [int(q) for q, _c in shown[0]][::3] == draw.question_ids  # 3 choices per question, in the draw's order
    assert [int(c) for _q, c in shown[0]] == [c for _qid, choices in draw.questions for c in choices]


def test_lx1_draws_differ_between_attempts_and_members(exam: Quiz, access: object) -> None:
    """Twenty draws of 4 among 10 are not all the same (the chance they would be is about 1e-65)."""
    from .factories import UserFactory

    draws = []
    for number in range(20):
        user = UserFactory(username=f"candidat{number}")
        access(user, AccessLevel.PRO)  # type: ignore[operator]  # the fixture's function
        draws.append(tuple(services.quiz_draw_start(user=user, quiz=exam).question_ids))

    assert len(set(draws)) > 1
    assert len({frozenset(draw) for draw in draws}) > 1


def test_lx1_only_the_drawn_questions_and_their_choices_count(subscriber: User, exam: Quiz) -> None:
    draw = services.quiz_draw_start(user=subscriber, quiz=exam)
    others = exam.questions.exclude(pk__in=draw.question_ids)
    answers = _answers(draw, right=4)
    answers.update({q.pk: [c.pk for c in q.choices.all() if c.is_correct] for q in others})

    attempt = services.quiz_attempt_submit(user=subscriber, quiz=exam, answers=answers, draw_id=draw.pk)

    assert (attempt.correct_count, attempt.question_count, attempt.score_percent) == (4, 4, 100)
    assert set(map(int, attempt.answers)) == set(draw.question_ids)
    assert AttemptAnswer.objects.filter(attempt=attempt).count() == 4


def test_lx1_posting_a_draw_again_changes_nothing(member_client: Client, subscriber: User, exam: Quiz) -> None:
    """The second post of the same answers (a reload, another tab) is refused and shows the first result."""
    draw = services.quiz_draw_start(user=subscriber, quiz=exam)
    first = member_client.post("/courses/k8s/examen/quiz/", _post(draw, right=1))
    again = member_client.post("/courses/k8s/examen/quiz/", _post(draw, right=4), follow=True)

    attempt = QuizAttempt.objects.get(user=subscriber)
    assert first["Location"] == f"/learn/attempts/{attempt.pk}/"
    assert again.redirect_chain[-1][0] == f"/learn/attempts/{attempt.pk}/"
    assert "Ces réponses ont déjà été envoyées" in again.content.decode()
    assert (QuizAttempt.objects.count(), attempt.correct_count) == (1, 1)
    with pytest.raises(QuizDrawClosed):
        services.quiz_attempt_submit(user=subscriber, quiz=exam, answers={}, draw_id=draw.pk)


def test_lx1_a_failed_attempt_shows_the_score_per_topic_never_the_answers(
    member_client: Client, subscriber: User, exam: Quiz
) -> None:
    draw = services.quiz_draw_start(user=subscriber, quiz=exam)
    response = member_client.post("/courses/k8s/examen/quiz/", _post(draw, right=2), follow=True)
    html = response.content.decode()

    attempt = QuizAttempt.objects.get(user=subscriber)
    assert not attempt.is_passed
    assert "Votre score par thème" in html
    assert sum(entry["total"] for entry in attempt.topic_scores) == 4
    assert {entry["topic"] for entry in attempt.topic_scores} <= set(TOPICS)
    assert "Juste " not in html and "Parce que" not in html and "bonne réponse" not in html
    assert "Prochaine tentative possible" in html


def test_lx1_a_pass_shows_each_answer_and_its_explanation(member_client: Client, subscriber: User, exam: Quiz) -> None:
    draw = services.quiz_draw_start(user=subscriber, quiz=exam)
    html = member_client.post("/courses/k8s/examen/quiz/", _post(draw, right=4), follow=True).content.decode()

    assert "4 bonne(s) réponse(s) sur 4 : 100 %" in html
    assert html.count("Parce que") == 4 and "bonne réponse" in html
    with pytest.raises(QuizAlreadyPassed):
        services.quiz_draw_start(user=subscriber, quiz=exam)


@pytest.mark.parametrize("reveal", [True, False])
def test_lx1_the_last_allowed_attempt_shows_the_answers_if_the_quiz_says_so(
    member_client: Client, subscriber: User, exam: Quiz, reveal: bool
) -> None:
    Quiz.objects.filter(pk=exam.pk).update(cooldown_minutes=0, max_attempts=2, reveal_after_last_attempt=reveal)
    exam.refresh_from_db()
    first = services.quiz_attempt_submit(user=subscriber, quiz=exam, answers={})
    middle = member_client.get(f"/learn/attempts/{first.pk}/").content.decode()
    last = services.quiz_attempt_submit(user=subscriber, quiz=exam, answers={})

    html = member_client.get(f"/learn/attempts/{last.pk}/").content.decode()

    assert "Parce que" not in middle
    assert ("Parce que" in html) is reveal
    assert "Vous avez utilisé toutes vos tentatives" in html


def test_lx1_a_new_attempt_opens_only_after_the_delay_since_a_failure(subscriber: User, exam: Quiz) -> None:
    with time_machine.travel(START, tick=False):
        services.quiz_attempt_submit(user=subscriber, quiz=exam, answers={})
    with time_machine.travel(START + timedelta(minutes=59), tick=False), pytest.raises(QuizCooldown) as refused:
        services.quiz_draw_start(user=subscriber, quiz=exam)
    with time_machine.travel(START + timedelta(minutes=60), tick=False):
        draw = services.quiz_draw_start(user=subscriber, quiz=exam)

    assert refused.value.available_at == START + timedelta(minutes=60)
    assert draw.is_open


def test_lx1_the_page_says_when_the_next_attempt_opens(member_client: Client, subscriber: User, exam: Quiz) -> None:
    services.quiz_attempt_submit(user=subscriber, quiz=exam, answers={})

    page = member_client.get("/courses/k8s/examen/").content.decode()
    refused = member_client.post("/courses/k8s/examen/quiz/start/", follow=True).content.decode()

    assert "Prochaine tentative possible à partir du" in page and "quiz__form" not in page
    assert "nouvelle tentative possible 1 h plus tard" in page
    assert "Prochaine tentative possible à partir du" in refused
    assert QuizDraw.objects.filter(user=subscriber, is_open=True).count() == 0


def test_lx1_attempts_are_capped_and_support_can_grant_more(subscriber: User, exam: Quiz, staff: User) -> None:
    Quiz.objects.filter(pk=exam.pk).update(cooldown_minutes=0)
    exam.refresh_from_db()
    for _attempt in range(3):
        services.quiz_attempt_submit(user=subscriber, quiz=exam, answers={})
    with pytest.raises(QuizAttemptsExhausted):
        services.quiz_draw_start(user=subscriber, quiz=exam)

    services.quiz_allowance_grant(user=subscriber, quiz=exam, extra_attempts=1, reason="Panne réseau", by=staff)
    services.quiz_attempt_submit(user=subscriber, quiz=exam, answers={})

    assert QuizAttempt.objects.filter(user=subscriber).count() == 4
    with pytest.raises(QuizAttemptsExhausted):
        services.quiz_draw_start(user=subscriber, quiz=exam)


def test_lx1_an_empty_or_forged_post_is_a_clear_message_never_an_attempt(
    member_client: Client, subscriber: User, exam: Quiz
) -> None:
    for data in ({}, {"draw": "abc"}, {"draw": "999999"}, {"draw": "1" * 40, "q1": "x" * 5000}):
        response = member_client.post("/courses/k8s/examen/quiz/", data, follow=True)
        assert response.status_code == 200

    assert not QuizAttempt.objects.exists()


def test_lx1_lm5_the_certificate_needs_the_exam_passed_and_every_lesson_done(subscriber: User, exam: Quiz) -> None:
    """Every lesson done is not enough without the exam; a course without an exam certifies nobody."""
    subscriber.legal_name = "Alice Martin"
    subscriber.save()
    lesson = Lesson.objects.get(slug="pods")
    assert services.lesson_complete(user=subscriber, lesson=lesson) is None
    draw = services.quiz_draw_start(user=subscriber, quiz=exam)

    services.quiz_attempt_submit(user=subscriber, quiz=exam, answers=_answers(draw, right=4), draw_id=draw.pk)
    no_exam = LessonFactory(module=ModuleFactory(course=CourseFactory(slug="sans-examen", access_level=0)))

    assert Certificate.objects.get(user=subscriber).holder_name == "Alice Martin"
    assert services.lesson_complete(user=subscriber, lesson=no_exam) is None
    assert not Certificate.objects.filter(course=no_exam.course).exists()


def test_lx1_staff_see_each_questions_success_hardest_first(subscriber: User, exam: Quiz) -> None:
    Quiz.objects.filter(pk=exam.pk).update(cooldown_minutes=0, max_attempts=0)
    exam.refresh_from_db()
    for right in (0, 2, 4):
        draw = services.quiz_draw_start(user=subscriber, quiz=exam)
        services.quiz_attempt_submit(user=subscriber, quiz=exam, answers=_answers(draw, right=right), draw_id=draw.pk)

    stats = selectors.quiz_statistics(quiz=exam)

    assert (stats.attempts, stats.passed) == (3, 1)
    assert stats.average_score == pytest.approx((0 + 50 + 100) / 3, abs=0.1)
    asked = [row for row in stats.questions if row.answered]
    assert sum(row.answered for row in asked) == 12 and sum(row.correct for row in asked) == 6
    rates = [row.success_percent for row in asked]
    assert rates == sorted(rates)


def test_lx1_the_staff_site_shows_a_quizs_statistics_per_question(
    staff_client: Client, subscriber: User, exam: Quiz
) -> None:
    draw = services.quiz_draw_start(user=subscriber, quiz=exam)
    services.quiz_attempt_submit(user=subscriber, quiz=exam, answers=_answers(draw, right=3), draw_id=draw.pk)

    html = staff_client.get(f"/staff/learning/quiz/{exam.pk}/change/").content.decode()

    assert 'id="question-statistics"' in html
    assert "1 tentative(s), 1 réussie(s), score moyen 75.0 %." in html
    assert html.count("<tr><td>Question numéro") == 10  # every question of the pool, asked or not
    assert 'name="draw_count"' in html and 'name="max_attempts"' in html and 'name="cooldown_minutes"' in html


def test_lx1_visitors_see_the_exam_rules_never_its_questions(client: Client, exam: Quiz) -> None:
    Lesson.objects.filter(pk=exam.lesson_id).update(is_free_preview=True)

    html = client.get("/courses/k8s/examen/").content.decode()

    assert "Connectez-vous pour répondre" in html and "4 questions tirées au hasard" in html
    assert "Question numéro" not in html and "Juste " not in html


def test_pv10_erasure_counts_each_attempt_once_not_its_answers(subscriber: User, exam: Quiz) -> None:
    """The erasure page said « Tentatives de quiz : 5 » for one attempt: the count included the
    answers deleted with it. One attempt of four answers is one attempt."""
    draw = services.quiz_draw_start(user=subscriber, quiz=exam)
    services.quiz_attempt_submit(user=subscriber, quiz=exam, answers=_answers(draw, right=1), draw_id=draw.pk)

    counts = services.learning_erase_for_user(user=subscriber)

    assert counts["quiz_attempts"] == 1
