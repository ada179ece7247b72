"""A subscriber's lesson comes from cached parts, and every change shows at the next request (LM-3, LM-4, CK-7)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import AccountSession, User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning.models import Enrollment, Lesson

from .factories import CourseFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db

SECRET = "Contenu réservé aux abonnés Pro"
URL = "/courses/k8s/avance/"


@pytest.fixture
def lessons() -> list[Lesson]:
    module = ModuleFactory(course=CourseFactory(slug="k8s", access_level=AccessLevel.PRO))
    return [
        LessonFactory(module=module, slug="intro", position=1, is_free_preview=True, body="Bienvenue."),
        LessonFactory(module=module, slug="avance", position=2, body=SECRET),
        LessonFactory(module=module, slug="suite", position=3, body="La suite."),
    ]


def _warm(client: Client) -> None:
    """Read the lesson until it is served without a query: everything the reader needs is cached."""
    client.get(URL)  # enrollment created, last seen written
    client.get(URL)  # progress read again and cached
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200 and SECRET in response.content.decode()
    assert len(queries) == 0, [query["sql"] for query in queries]


def _locked(client: Client) -> bool:
    response = client.get(URL)
    return response.status_code == 403 and SECRET not in response.content.decode()


def test_lm3_a_member_whose_access_ends_no_longer_gets_the_lesson_on_the_next_request(
    member_client: Client, member: User, access: Callable[..., None], lessons: list[Lesson]
) -> None:
    access(member, AccessLevel.PRO, 1)
    _warm(member_client)

    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        assert _locked(member_client)


def test_lm3_a_disabled_member_no_longer_gets_the_cached_lesson(
    member_client: Client, member: User, access: Callable[..., None], lessons: list[Lesson]
) -> None:
    access(member, AccessLevel.PRO)
    _warm(member_client)

    accounts_services.user_disable(user=member, actor=None, reason="unpaid")

    assert _locked(member_client)


def test_ck7_a_revoked_session_gets_the_locked_lesson_at_its_next_request(
    member_client: Client, member: User, access: Callable[..., None], lessons: list[Lesson]
) -> None:
    access(member, AccessLevel.PRO)
    _warm(member_client)

    AccountSession.objects.filter(user=member).delete()  # "log out this device" from another one

    assert _locked(member_client)


def test_lm3_a_plan_granted_opens_the_lesson_at_the_next_request(
    member_client: Client, member: User, access: Callable[..., None], lessons: list[Lesson]
) -> None:
    assert _locked(member_client)
    assert _locked(member_client)  # the free level is cached now

    access(member, AccessLevel.PRO)

    assert member_client.get(URL).status_code == 200


def test_lm4_the_lesson_shows_completion_and_its_undoing_at_the_next_request(
    member_client: Client, member: User, access: Callable[..., None], lessons: list[Lesson]
) -> None:
    access(member, AccessLevel.PRO)
    _warm(member_client)
    assert "1 leçon(s) terminée(s)" not in member_client.get(URL).content.decode()

    member_client.post(f"{URL}complete/")
    page = member_client.get(URL).content.decode()
    assert "1 leçon(s) terminée(s) sur 3" in page and "Marquer comme non terminée" in page

    member_client.post(f"{URL}complete/", {"undo": "1"})
    page = member_client.get(URL).content.decode()
    assert "0 leçon(s) terminée(s) sur 3" in page and "Marquer comme non terminée" not in page


def test_lm4_moving_to_another_lesson_is_remembered_although_the_enrollment_is_cached(
    member_client: Client, member: User, access: Callable[..., None], lessons: list[Lesson]
) -> None:
    access(member, AccessLevel.PRO)
    _warm(member_client)

    member_client.get("/courses/k8s/suite/")

    assert Enrollment.objects.get(user=member).last_lesson == lessons[2]
    member_client.get(URL)
    assert Enrollment.objects.get(user=member).last_lesson == lessons[1]
