"""Access by plan level on every lesson and download; free previews for everyone (LM-3)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.billing.services import subscription_purchase
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.learning.models import Lesson, Resource

from .factories import CourseFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db

SECRET = "Contenu réservé aux abonnés Pro"


@pytest.fixture
def course_lessons() -> tuple[Lesson, Lesson]:
    module = ModuleFactory(course=CourseFactory(slug="k8s", access_level=AccessLevel.PRO))
    preview = LessonFactory(module=module, slug="intro", is_free_preview=True, body="Bienvenue à tous.")
    locked = LessonFactory(module=module, slug="avance", body=SECRET)
    return preview, locked


def _resource(lesson: Lesson) -> Resource:
    resource = Resource(lesson=lesson, title="Manifestes")
    resource.file.save("manifestes.yaml", ContentFile(b"apiVersion: v1\n"), save=True)
    return resource


def test_lm3_a_free_preview_is_open_to_visitors(client: Client, course_lessons: tuple[Lesson, Lesson]) -> None:
    response = client.get("/courses/k8s/intro/")

    assert response.status_code == 200
    assert "Bienvenue à tous." in response.content.decode()
    assert not response.cookies


def test_lm3_a_locked_lesson_says_which_plan_opens_it(client: Client, course_lessons: tuple[Lesson, Lesson]) -> None:
    response = client.get("/courses/k8s/avance/")
    html = response.content.decode()

    assert response.status_code == 403
    assert SECRET not in html
    assert "Elle fait partie du niveau <strong>Pro</strong>" in html
    assert 'href="/plans/"' in html


def test_lm3_a_locked_lesson_names_the_plans_on_sale_that_open_it(
    client: Client, course_lessons: tuple[Lesson, Lesson]
) -> None:
    PlanFactory(slug="essentiel", name="Essentiel 1 mois", access_level=AccessLevel.ESSENTIAL)
    PlanFactory(slug="pro", name="Pro 3 mois", access_level=AccessLevel.PRO)
    PlanFactory(slug="expert", name="Expert 12 mois", access_level=AccessLevel.EXPERT)
    PlanFactory(slug="equipe", name="Équipe", access_level=AccessLevel.EXPERT, kind="group", seats=5)

    html = client.get("/courses/k8s/avance/").content.decode()
    plans = html[html.index('class="locked__plans"') :]

    assert '<a href="/plans/pro/subscribe/">Pro 3 mois</a>' in plans
    assert '<a href="/plans/expert/subscribe/">Expert 12 mois</a>' in plans
    assert "Essentiel" not in plans[: plans.index("</ul>")] and "Équipe" not in plans[: plans.index("</ul>")]


def test_lm3_a_subscription_bought_from_billing_opens_the_lesson(
    member_client: Client, member: User, course_lessons: tuple[Lesson, Lesson]
) -> None:
    """The real entitlement: a period of a Pro plan, from billing's own service."""
    assert member_client.get("/courses/k8s/avance/").status_code == 403

    subscription_purchase(holder=member, plan=PlanFactory(access_level=AccessLevel.PRO))

    assert member_client.get("/courses/k8s/avance/").status_code == 200


def test_lm3_a_member_whose_plan_is_too_low_is_refused(
    member_client: Client, member: User, access: Callable[[User, int], None], course_lessons: tuple[Lesson, Lesson]
) -> None:
    access(member, AccessLevel.ESSENTIAL)

    response = member_client.get("/courses/k8s/avance/")

    assert response.status_code == 403 and SECRET not in response.content.decode()


def test_lm3_the_plan_level_opens_the_lesson(
    member_client: Client, member: User, access: Callable[[User, int], None], course_lessons: tuple[Lesson, Lesson]
) -> None:
    access(member, AccessLevel.PRO)

    response = member_client.get("/courses/k8s/avance/")

    assert response.status_code == 200 and SECRET in response.content.decode()


def test_lm3_entitlements_are_asked_on_every_visit(
    member_client: Client, member: User, access: Callable[[User, int], None], course_lessons: tuple[Lesson, Lesson]
) -> None:
    """A period that ends closes the lesson at once, while the account itself stays valid."""
    access(member, AccessLevel.ESSENTIAL, 60)
    access(member, AccessLevel.EXPERT, 1)
    assert member_client.get("/courses/k8s/avance/").status_code == 200

    with time_machine.travel(timezone.now() + timedelta(days=2)):
        response = member_client.get("/courses/k8s/avance/")

    assert response.status_code == 403
    assert response.wsgi_request.user == member  # still logged in: only the Pro period ended


def test_lm3_downloads_are_checked_like_the_lesson(
    client: Client,
    member_client: Client,
    member: User,
    access: Callable[[User, int], None],
    course_lessons: tuple[Lesson, Lesson],
) -> None:
    preview, locked = course_lessons
    open_file, closed_file = _resource(preview), _resource(locked)

    free = client.get(f"/courses/k8s/intro/files/{open_file.pk}/")
    refused = member_client.get(f"/courses/k8s/avance/files/{closed_file.pk}/")
    access(member, AccessLevel.PRO)
    allowed = member_client.get(f"/courses/k8s/avance/files/{closed_file.pk}/")

    assert free.status_code == 200 and b"".join(free.streaming_content) == b"apiVersion: v1\n"
    assert refused.status_code == 403
    assert allowed.status_code == 200 and allowed["Content-Disposition"].startswith("attachment")
    assert allowed["Cache-Control"] == "private, no-store"


def test_lm3_files_have_no_public_guessable_address(client: Client, course_lessons: tuple[Lesson, Lesson]) -> None:
    resource = _resource(course_lessons[1])

    assert len(resource.file.name.split("/")[2]) >= 20  # a random folder per file
    assert client.get("/media/" + resource.file.name).status_code == 404
    assert client.get(f"/courses/k8s/intro/files/{resource.pk}/").status_code == 404  # not this lesson's file


def test_lm3_a_lesson_of_another_course_or_an_unknown_one_is_not_found(
    client: Client, course_lessons: tuple[Lesson, Lesson]
) -> None:
    assert client.get("/courses/autre/intro/").status_code == 404
    assert client.get("/courses/k8s/inconnue/").status_code == 404
