"""A member's lesson page filled into its shell is the page the template renders for them (LM-2, LM-4, CK-1)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client, RequestFactory

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import lessonpage, views
from cloudmentor.learning.models import Enrollment, Lesson, LessonCompletion, QuizDraw, Resource
from conftest import log_in_client

from .factories import CourseFactory, LessonFactory, ModuleFactory, QuizFactory, UserFactory, question_with_choices

pytestmark = pytest.mark.django_db

_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def lessons() -> list[Lesson]:
    module = ModuleFactory(course=CourseFactory(slug="k8s", title="Kubernetes", access_level=AccessLevel.PRO))
    first = LessonFactory(module=module, slug="pods", title="Les pods", position=1)
    resource = Resource(lesson=first, title="Manifestes")
    resource.file.save("pods.yaml", ContentFile(b"kind: Pod\n"), save=True)
    quiz = QuizFactory(
        lesson=LessonFactory(module=module, slug="examen", kind="quiz", body="Examen.", position=2),
        cooldown_minutes=0,
    )
    question_with_choices(quiz, "Qui place les pods ?", [("kube-scheduler", True), ("kubelet", False)])
    return [first, quiz.lesson]


def _rendered_as_usual(client: Client, url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The page the template renders for this request (the shell is used only without messages)."""
    with monkeypatch.context() as patch:
        patch.setattr(views, "_has_messages", lambda request: True)
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _filled(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def _without_tokens(html: str) -> str:
    return _TOKEN.sub('name="csrfmiddlewaretoken" value="…"', html)


@pytest.mark.parametrize("url", ["/courses/k8s/pods/", "/courses/k8s/examen/", "/en/courses/k8s/pods/"])
def test_lm2_the_filled_shell_is_the_page_the_template_renders(
    member_client: Client,
    member: User,
    access: Callable[..., None],
    lessons: list[Lesson],
    url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    access(member, AccessLevel.PRO)
    LessonCompletion.objects.create(user=member, lesson=lessons[0])
    member_client.post("/courses/k8s/examen/quiz/start/")
    draw = QuizDraw.objects.get(user=member)
    member_client.post("/courses/k8s/examen/quiz/", {"draw": draw.pk})  # a failed attempt to list
    member_client.post("/courses/k8s/examen/quiz/start/")  # and the next attempt's questions
    member_client.get(url)  # the enrollment and the message of the attempt: done

    filled = _filled(member_client, url)
    usual = _rendered_as_usual(member_client, url, monkeypatch)

    assert any(entry[2] is not None for entry in lessonpage._local.values())  # the shell was used
    assert _without_tokens(filled) == _without_tokens(usual)
    assert "alice" in filled and "⁅" not in filled
    if "examen" in url:
        assert "attempts-history" in filled and "quiz__form" in filled
    else:
        assert "Manifestes" in filled and "lesson__done" in filled and "progress-block" in filled


def test_lm2_each_member_gets_their_own_account_menu_and_csrf_token_in_the_shared_shell(
    member_client: Client, member: User, access: Callable[..., None], lessons: list[Lesson]
) -> None:
    other = UserFactory(username="bruno", email="bruno@example.org")
    other_client = log_in_client(Client(enforce_csrf_checks=True), other)
    access(member, AccessLevel.PRO)
    access(other, AccessLevel.PRO)
    for client in (member_client, member_client, other_client, other_client):
        client.get("/courses/k8s/pods/")

    alice_page = member_client.get("/courses/k8s/pods/").content.decode()
    bruno_page = other_client.get("/courses/k8s/pods/").content.decode()

    assert "alice" in alice_page and "bruno" not in alice_page
    assert "bruno" in bruno_page and "alice" not in bruno_page
    assert "⁅" not in bruno_page  # every marker filled
    tokens = _TOKEN.findall(bruno_page)
    assert len(tokens) >= 3  # log out, mark complete, report an error
    assert not set(tokens) & set(_TOKEN.findall(alice_page))
    # Bruno's token works for Bruno (CSRF is checked, as a browser's server would).
    response = other_client.post("/courses/k8s/pods/complete/", {"csrfmiddlewaretoken": tokens[1]})
    assert response.status_code == 302
    assert LessonCompletion.objects.filter(user=other, lesson=lessons[0]).exists()


def test_lm4_a_message_after_an_action_is_shown_on_the_next_page(
    member_client: Client, member: User, access: Callable[..., None], lessons: list[Lesson]
) -> None:
    access(member, AccessLevel.PRO)
    member_client.get("/courses/k8s/pods/")
    member_client.get("/courses/k8s/pods/")

    member_client.post("/courses/k8s/pods/complete/", {"next_lesson": "pods"})

    assert "Leçon terminée." in member_client.get("/courses/k8s/pods/").content.decode()
    assert "Leçon terminée." not in member_client.get("/courses/k8s/pods/").content.decode()


def test_pv11_the_shell_keeps_the_page_s_own_frame_policy(
    member_client: Client, member: User, access: Callable[..., None]
) -> None:
    module = ModuleFactory(course=CourseFactory(slug="video", access_level=AccessLevel.PRO))
    LessonFactory(module=module, slug="demo", body="@[Démo](https://www.youtube.com/watch?v=dQw4w9WgXcQ)\n")
    access(member, AccessLevel.PRO)
    member_client.get("/courses/video/demo/")

    response: Any = member_client.get("/courses/video/demo/")

    assert "https://www.youtube-nocookie.com" in response["Content-Security-Policy"]
    assert "<script>" not in response.content.decode()


def test_lm4_the_lesson_page_returns_the_visit_to_mark_and_marks_nothing_itself(
    member: User, access: Callable[..., None], lessons: list[Lesson], rf: RequestFactory
) -> None:
    """Building the page writes nothing: the view marks the visit the page returns (a named step)."""
    access(member, AccessLevel.PRO)
    request = rf.get("/courses/k8s/pods/")
    request.user = member

    page = lessonpage.lesson_page_respond(
        request, course_slug="k8s", lesson_slug="pods", preview=False, has_messages=False
    )

    assert page.status == 200 and "Les pods" in page.html and "⁅" not in page.html
    assert page.visit is not None and page.visit.user == member and page.visit.lesson == lessons[0]
    assert not Enrollment.objects.filter(user=member).exists()


def test_lm3_a_locked_lesson_returns_no_visit(member: User, lessons: list[Lesson], rf: RequestFactory) -> None:
    request = rf.get("/courses/k8s/pods/")
    request.user = member

    page = lessonpage.lesson_page_respond(
        request, course_slug="k8s", lesson_slug="pods", preview=False, has_messages=False
    )

    assert page.status == 403 and page.visit is None and page.frame_origins == []


@pytest.mark.parametrize("text", ["⁅r:zzz⁆", "⁅r:csrf⁆", "⁅csrf⁆", "⁅r:account⁆", "⁅p:done⁆", "⁅d1⁆ ⁅m1⁆"])
def test_tr7_lm2_markers_typed_by_an_author_are_shown_as_typed_never_filled(
    member_client: Client, member: User, access: Callable[..., None], text: str
) -> None:
    """Text that looks like the shell's own slots, in a lesson, a title or a quiz, is only text: no 500, no token."""
    access(member, AccessLevel.PRO)
    module = ModuleFactory(course=CourseFactory(slug="odd", title=f"Cours {text}", access_level=AccessLevel.PRO))
    LessonFactory(module=module, slug="one", title=f"Leçon {text}", body=f"Avant {text} après.", position=1)
    quiz = QuizFactory(lesson=LessonFactory(module=module, slug="quiz", kind="quiz", body=f"Q {text}", position=2))
    question_with_choices(quiz, f"Question {text} ?", [("oui", True), ("non", False)])

    member_client.post("/courses/odd/quiz/quiz/start/")  # the questions show once an attempt is started

    pages = [member_client.get(f"/courses/odd/{slug}/") for slug in ("one", "one", "quiz", "quiz")]

    for response in pages:
        assert response.status_code == 200
        html = response.content.decode()
        token = _TOKEN.search(html)
        assert token is not None
        assert f"Avant {text} après." in html or f"Question {text} ?" in html
        assert html.count(token.group(1)) == html.count('name="csrfmiddlewaretoken"')  # only in the forms
