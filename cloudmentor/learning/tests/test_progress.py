"""Progress: lessons marked complete, course percentage, "continue where you left off" (LM-4)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import services
from cloudmentor.learning.models import Enrollment, Lesson, LessonCompletion

from .factories import CourseFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lessons() -> list[Lesson]:
    course = CourseFactory(slug="terraform", title="Terraform", access_level=AccessLevel.PRO)
    first, second = ModuleFactory(course=course, position=1), ModuleFactory(course=course, position=2)
    return [
        LessonFactory(module=first, slug="plan", title="Premier plan", position=1),
        LessonFactory(module=first, slug="variables", title="Variables", position=2),
        LessonFactory(module=second, slug="etat", title="État distant", position=1),
        LessonFactory(module=second, slug="modules", title="Modules", position=2),
    ]


def test_lm4_marking_a_lesson_complete_moves_on_and_counts_in_the_course(
    member_client: Client, subscriber: User, lessons: list[Lesson]
) -> None:
    response = member_client.post("/courses/terraform/plan/complete/", {"next_lesson": "variables"})

    assert response.status_code == 302 and response["Location"] == "/courses/terraform/variables/"
    assert LessonCompletion.objects.filter(user=subscriber, lesson=lessons[0]).exists()
    page = member_client.get("/courses/terraform/").content.decode()
    assert "1 leçon(s) terminée(s) sur 4 · 25 %" in page
    assert '<progress class="progress" max="100" value="25"' in page


def test_lm4_completing_twice_counts_once_and_it_can_be_undone(
    member_client: Client, subscriber: User, lessons: list[Lesson]
) -> None:
    member_client.post("/courses/terraform/plan/complete/")
    member_client.post("/courses/terraform/plan/complete/")
    assert LessonCompletion.objects.filter(user=subscriber).count() == 1

    member_client.post("/courses/terraform/plan/complete/", {"undo": "1"})

    assert not LessonCompletion.objects.filter(user=subscriber).exists()


def test_lm4_a_locked_lesson_cannot_be_marked_complete(
    member_client: Client, member: User, lessons: list[Lesson]
) -> None:
    response = member_client.post("/courses/terraform/plan/complete/", follow=True)

    assert "Votre offre n&#x27;ouvre pas cette leçon." in response.content.decode()
    assert not LessonCompletion.objects.exists()


def test_lm4_visitors_are_asked_to_log_in_to_track_progress(client: Client, lessons: list[Lesson]) -> None:
    response = client.post("/courses/terraform/plan/complete/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_lm4_the_last_lesson_visited_is_where_the_member_continues(
    member_client: Client, subscriber: User, lessons: list[Lesson]
) -> None:
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        member_client.get("/courses/terraform/plan/")
    with time_machine.travel(datetime(2026, 3, 2, 9, 10, tzinfo=UTC), tick=False):
        member_client.get("/courses/terraform/etat/")
    member_client.post("/courses/terraform/plan/complete/")

    enrollment = Enrollment.objects.get(user=subscriber)
    dashboard = member_client.get("/learn/").content.decode()
    course_page = member_client.get("/courses/terraform/").content.decode()

    assert enrollment.last_lesson == lessons[0]  # completing is a visit too
    assert "Reprendre là où vous vous êtes arrêté" in dashboard
    assert 'href="/courses/terraform/plan/">Premier plan</a>' in dashboard
    assert "1 leçon(s) sur 4 · 25 %" in dashboard
    assert 'href="/courses/terraform/plan/">Reprendre où vous en étiez' in course_page


def test_lm4_visiting_the_same_lesson_again_does_not_write_every_time(
    member_client: Client, subscriber: User, lessons: list[Lesson]
) -> None:
    member_client.get("/courses/terraform/plan/")
    first = Enrollment.objects.get(user=subscriber).last_visited_at

    member_client.get("/courses/terraform/plan/")

    assert Enrollment.objects.get(user=subscriber).last_visited_at == first


def test_lm4_the_dashboard_lists_courses_in_progress_most_recent_first(member_client: Client, subscriber: User) -> None:
    older = LessonFactory(module=ModuleFactory(course=CourseFactory(title="Ancien")))
    newer = LessonFactory(module=ModuleFactory(course=CourseFactory(title="Récent")))
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC)):
        services.lesson_visit(user=subscriber, lesson=older, enrollment=None)
    with time_machine.travel(datetime(2026, 2, 1, tzinfo=UTC)):
        services.lesson_visit(user=subscriber, lesson=newer, enrollment=None)

    html = member_client.get("/learn/").content.decode()

    assert html.index("Récent") < html.index("Ancien")


def test_lm4_withdrawn_lessons_leave_the_course_and_its_percentage(
    member_client: Client, subscriber: User, lessons: list[Lesson]
) -> None:
    member_client.post("/courses/terraform/plan/complete/")
    services.lesson_withdraw(lesson=lessons[3])

    page = member_client.get("/courses/terraform/").content.decode()

    assert "Modules" not in page
    assert "1 leçon(s) terminée(s) sur 3 · 33 %" in page
