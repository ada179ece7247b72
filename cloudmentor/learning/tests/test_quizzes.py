"""Practice exams with scoring and reviewed answers; a certificate once the course is done (LM-5)."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from reportlab.lib.pagesizes import A4  # noqa: F401 - reportlab is what draws the PDF

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import services
from cloudmentor.learning.models import Certificate, Enrollment, Lesson, LessonCompletion, Quiz, QuizAttempt, QuizDraw

from .factories import CourseFactory, LessonFactory, ModuleFactory, QuizFactory, UserFactory, question_with_choices

pytestmark = pytest.mark.django_db


@pytest.fixture
def course_with_quiz() -> tuple[Lesson, Quiz]:
    module = ModuleFactory(
        course=CourseFactory(slug="k8s", title="Kubernetes en production", access_level=AccessLevel.PRO)
    )
    lesson = LessonFactory(module=module, slug="pods", position=1)
    quiz = QuizFactory(
        lesson=LessonFactory(module=module, slug="examen", kind="quiz", body="Examen final.", position=2),
        max_attempts=0,
        cooldown_minutes=0,
    )
    question_with_choices(
        quiz,
        "Qui place les pods ?",
        [("`kube-scheduler`", True), ("kubelet", False)],
        "Le **scheduler** choisit le nœud.",
    )
    question_with_choices(
        quiz,
        "Que garantit une requête CPU ?",
        [("Le placement", True), ("Une part garantie", True), ("Un plafond", False)],
    )
    question_with_choices(quiz, "Quelle commande annule ?", [("rollout undo", True), ("delete", False)])
    question_with_choices(quiz, "Où vit l'état ?", [("etcd", True), ("kube-proxy", False)])
    return lesson, quiz


def _choices(quiz: Quiz, picks: list[list[bool]], client: Client | None = None) -> dict[str, object]:
    """Build the POST of a quiz: for each question (in the pool's order), pick the choices marked True.

    With `client`, the member's attempt is started first and the POST names its draw.
    """
    data: dict[str, object] = {}
    for question, wanted in zip(quiz.questions.all(), picks, strict=True):
        data[f"q{question.pk}"] = [str(c.pk) for c, pick in zip(question.choices.all(), wanted, strict=True) if pick]
    if client is not None:
        client.post(f"/courses/k8s/{quiz.lesson.slug}/quiz/start/")
        draw = QuizDraw.objects.filter(quiz=quiz, is_open=True).first()
        data["draw"] = str(draw.pk) if draw else ""
    return data


ALL_RIGHT = [[True, False], [True, True, False], [True, False], [True, False]]


def test_lm5_an_attempt_is_scored_and_a_question_counts_only_with_exactly_its_right_answers(
    member_client: Client, subscriber: User, course_with_quiz: tuple[Lesson, Quiz]
) -> None:
    _lesson, quiz = course_with_quiz
    picks = [[True, False], [True, False, False], [False, True], [True, False]]  # 2nd: incomplete; 3rd: wrong

    response = member_client.post("/courses/k8s/examen/quiz/", _choices(quiz, picks, member_client))

    attempt = QuizAttempt.objects.get(user=subscriber)
    assert response["Location"] == f"/learn/attempts/{attempt.pk}/"
    assert (attempt.correct_count, attempt.question_count, attempt.score_percent, attempt.is_passed) == (
        2,
        4,
        50,
        False,
    )
    assert not LessonCompletion.objects.filter(lesson=quiz.lesson).exists()


def test_lm5_the_review_shows_each_answer_the_right_ones_and_the_explanations(
    member_client: Client, subscriber: User, course_with_quiz: tuple[Lesson, Quiz]
) -> None:
    """Once the exam is passed (LX-1: never before), each attempt's review shows the answers and why."""
    _lesson, quiz = course_with_quiz
    response = member_client.post(
        "/courses/k8s/examen/quiz/", _choices(quiz, [[False, True], *ALL_RIGHT[1:3], [False, True]], member_client)
    )
    failed = member_client.get(response["Location"]).content.decode()
    member_client.post("/courses/k8s/examen/quiz/", _choices(quiz, [[False, True], *ALL_RIGHT[1:]], member_client))
    response = member_client.get(response["Location"])  # the failed attempt, now that the exam is passed
    html = response.content.decode()

    assert "Le <strong>scheduler</strong> choisit le nœud." not in failed and "Votre score par thème" in failed
    assert "2 bonne(s) réponse(s) sur 4 : 50 %" in html
    assert "<code>kube-scheduler</code>" in html
    assert "Le <strong>scheduler</strong> choisit le nœud." in html
    assert html.count('class="badge badge--error">Faux') == 2
    assert "Historique de vos tentatives" in html


def test_lm5_the_attempt_history_is_kept_and_private(
    member_client: Client, subscriber: User, course_with_quiz: tuple[Lesson, Quiz], client: Client
) -> None:
    _lesson, quiz = course_with_quiz
    member_client.post(
        "/courses/k8s/examen/quiz/", _choices(quiz, [[False, True], *ALL_RIGHT[1:3], [False, True]], member_client)
    )
    member_client.post("/courses/k8s/examen/quiz/", _choices(quiz, ALL_RIGHT, member_client))
    attempts = list(QuizAttempt.objects.filter(user=subscriber))

    lesson_page = member_client.get("/courses/k8s/examen/").content.decode()

    assert [a.score_percent for a in attempts] == [100, 50]
    assert lesson_page.count('href="/learn/attempts/') == 2
    other = log_in_other(client)
    assert other.get(f"/learn/attempts/{attempts[0].pk}/").status_code == 404


def log_in_other(client: Client) -> Client:
    from conftest import log_in_client

    return log_in_client(client, UserFactory(username="bob"))


def test_lm5_a_locked_quiz_cannot_be_attempted(
    member_client: Client, member: User, course_with_quiz: tuple[Lesson, Quiz]
) -> None:
    _lesson, quiz = course_with_quiz

    member_client.post("/courses/k8s/examen/quiz/", _choices(quiz, ALL_RIGHT, member_client))

    assert not QuizAttempt.objects.exists()


def test_lm5_a_course_is_complete_when_every_lesson_is_done_and_the_quiz_passed(
    member_client: Client, subscriber: User, course_with_quiz: tuple[Lesson, Quiz]
) -> None:
    """Passing the quiz alone is not enough; the certificate comes with the last lesson done."""
    _lesson, quiz = course_with_quiz
    subscriber.legal_name = "Alice Martin"
    subscriber.save()
    member_client.post("/courses/k8s/examen/quiz/", _choices(quiz, ALL_RIGHT, member_client))
    assert not Certificate.objects.exists()

    response = member_client.post("/courses/k8s/pods/complete/")

    certificate = Certificate.objects.get(user=subscriber)
    assert response["Location"] == "/learn/"
    assert Enrollment.objects.get(user=subscriber).completed_at is not None
    assert (certificate.holder_name, certificate.course_title) == ("Alice Martin", "Kubernetes en production")


def test_lm5_the_certificate_is_issued_once(subscriber: User, course_with_quiz: tuple[Lesson, Quiz]) -> None:
    lesson, quiz = course_with_quiz
    subscriber.legal_name = "Alice Martin"
    subscriber.save()
    services.lesson_complete(user=subscriber, lesson=lesson)
    answers = {q.pk: [c.pk for c in q.choices.all() if c.is_correct] for q in quiz.questions.all()}

    services.quiz_attempt_submit(user=subscriber, quiz=quiz, answers=answers)
    services.certificate_issue(user=subscriber, course=lesson.course)
    again = services.certificate_issue(user=subscriber, course=lesson.course)

    assert Certificate.objects.count() == 1 and again == Certificate.objects.get()


def test_lm5_the_certificate_pdf_names_the_member_course_date_code_and_verification_url(
    member_client: Client, subscriber: User, course_with_quiz: tuple[Lesson, Quiz]
) -> None:
    lesson, quiz = course_with_quiz
    subscriber.legal_name = "Alice Martin"
    subscriber.save()
    services.lesson_complete(user=subscriber, lesson=lesson)
    answers = {q.pk: [c.pk for c in q.choices.all() if c.is_correct] for q in quiz.questions.all()}
    services.quiz_attempt_submit(user=subscriber, quiz=quiz, answers=answers)
    certificate = Certificate.objects.get()

    response = member_client.get(f"/learn/certificates/{certificate.code}.pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content)
    assert "Alice Martin" in text and "Kubernetes en production" in text
    assert certificate.code in text and f"/certificates/{certificate.code}/" in text
    assert "Délivré le" in text


def _pdf_text(data: bytes) -> str:
    """Return the text a reportlab PDF draws: its page streams (ASCII85 + Flate) hold literal strings."""
    import base64
    import re
    import zlib

    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        encoded = stream.strip().removesuffix(b"~>")
        try:
            chunks.append(zlib.decompress(base64.a85decode(encoded)))
        except (ValueError, zlib.error):
            chunks.append(stream)
    raw = b"".join(chunks).decode("latin-1")
    strings = re.findall(r"\((.*?)(?<!\\)\)", raw, re.S)
    text = " ".join(strings).replace("\\(", "(").replace("\\)", ")")
    return re.sub(r"\\([0-7]{3})", lambda m: bytes([int(m.group(1), 8)]).decode("cp1252"), text)


def test_lm5_the_public_verification_page_confirms_a_certificate(
    client: Client, subscriber: User, course_with_quiz: tuple[Lesson, Quiz]
) -> None:
    certificate = services.certificate_issue(user=subscriber, course=course_with_quiz[0].course)

    page = client.get(f"/certificates/{certificate.code.lower()}/")
    unknown = client.get("/certificates/AAAA-BBBB-CCCC-DDDD/")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Certificat authentique" in html and "Alice Martin" in html and certificate.code in html
    assert not page.cookies
    assert unknown.status_code == 404 and "Aucun certificat ne correspond" in unknown.content.decode()


def test_lm5_only_the_holder_downloads_the_certificate(
    client: Client, subscriber: User, course_with_quiz: tuple[Lesson, Quiz]
) -> None:
    certificate = services.certificate_issue(user=subscriber, course=course_with_quiz[0].course)

    assert client.get(f"/learn/certificates/{certificate.code}.pdf").status_code == 302
    assert log_in_other(client).get(f"/learn/certificates/{certificate.code}.pdf").status_code == 404


def test_lm5_certificate_codes_are_unguessable() -> None:
    codes = {Certificate._meta.get_field("code").default() for _ in range(200)}

    assert len(codes) == 200
    assert all(len(code) == 19 and code.count("-") == 3 for code in codes)


def test_lm5_the_certificate_is_worded_in_the_members_language(course_with_quiz: tuple[Lesson, Quiz]) -> None:
    member = UserFactory(username="john", first_name="John", last_name="Smith", language="en")

    certificate = services.certificate_issue(user=member, course=course_with_quiz[0].course)

    text = _pdf_text(bytes(certificate.pdf))
    assert "CERTIFICATE OF COMPLETION" in text and f"/en/certificates/{certificate.code}/" in text
    assert io.BytesIO(bytes(certificate.pdf)).read(5) == b"%PDF-"
