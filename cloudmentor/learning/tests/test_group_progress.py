"""Group owners see their members' progress (LM-7); a group member reads lessons of the group's level (PV-1)."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import Group, GroupMembership, User
from cloudmentor.billing import services as billing_services
from cloudmentor.billing.models import AccessLevel, Plan
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.learning.models import Certificate, Course, Enrollment, Lesson, LessonCompletion
from conftest import log_in_client

from .factories import CourseFactory, LessonFactory, ModuleFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/account/group/progress/"
SECRET = "Réservé au niveau Pro"


@pytest.fixture
def owner() -> User:
    return UserFactory(username="olga", email="olga@example.org")


@pytest.fixture
def group(owner: User) -> Group:
    plan = PlanFactory(kind=Plan.Kind.GROUP, seats=50, price=Decimal("99.00"), access_level=AccessLevel.PRO)
    billing_services.group_subscription_buy(owner=owner, plan=plan)
    return Group.objects.get(owner=owner)


@pytest.fixture
def course() -> Course:
    module = ModuleFactory(course=CourseFactory(slug="k8s", title="Kubernetes", access_level=AccessLevel.PRO))
    for position in range(1, 5):
        LessonFactory(module=module, slug=f"l{position}", position=position, body=SECRET)
    course = Course.objects.get(slug="k8s")
    assert course.lesson_count == 4
    return course


def _join(group: Group, username: str) -> User:
    user = UserFactory(username=username, email=f"{username}@example.org")
    GroupMembership.objects.create(group=group, user=user)
    accounts_services.group_members_changed(group=group)
    return user


def _progress(user: User, course: Course, done: int) -> None:
    Enrollment.objects.create(user=user, course=course, last_visited_at=timezone.now())
    for lesson in Lesson.objects.filter(course=course).order_by("position")[:done]:
        LessonCompletion.objects.create(user=user, lesson=lesson)


def test_lm7_the_owner_sees_each_members_courses_percentage_and_certificates(
    owner: User, group: Group, course: Course
) -> None:
    bob = _join(group, "bob")
    carl = _join(group, "carl")
    _progress(bob, course, 1)
    _progress(carl, course, 4)
    Certificate.objects.create(user=carl, course=course, holder_name="Carl", course_title="Kubernetes", pdf=b"%PDF")

    page = log_in_client(Client(), owner).get(URL).content.decode()

    assert "bob" in page and "carl" in page
    assert "25 %" in page and "100 %" in page
    assert "Kubernetes" in page
    assert "Certificats" in page


def test_lm7_the_page_costs_the_same_queries_whatever_the_number_of_members(
    owner: User, group: Group, course: Course
) -> None:
    client = log_in_client(Client(), owner)
    _progress(_join(group, "m0"), course, 2)
    client.get(URL)
    with CaptureQueriesContext(connection) as one:
        client.get(URL)
    for index in range(1, 8):
        member = _join(group, f"m{index}")
        _progress(member, course, index % 4)
        Certificate.objects.create(user=member, course=course, holder_name="x", course_title="Kubernetes", pdf=b"%")
    client.get(URL)
    with CaptureQueriesContext(connection) as eight:
        response = client.get(URL)

    assert response.status_code == 200 and "m7" in response.content.decode()
    assert len(eight) == len(one), [query["sql"] for query in eight]
    assert len(one) <= 6


def test_lm7_members_see_nothing_of_each_other(owner: User, group: Group, course: Course) -> None:
    bob = _join(group, "bob")
    carl = _join(group, "carl")
    _progress(carl, course, 3)

    response = log_in_client(Client(), bob).get(URL)
    english = log_in_client(Client(), bob).get("/en" + URL)

    assert response.status_code == 403
    assert "carl" not in response.content.decode()
    assert "Seul le propriétaire" in response.content.decode()
    assert english.status_code == 403 and "Only the owner of a group" in english.content.decode()
    # And on the group page, a member sees the group, not the other members.
    group_page = log_in_client(Client(), bob).get("/account/group/").content.decode()
    assert "carl" not in group_page


def test_lm7_a_member_who_leaves_disappears_from_the_page(owner: User, group: Group, course: Course) -> None:
    bob = _join(group, "bob")
    _progress(bob, course, 2)
    client = log_in_client(Client(), owner)
    assert 'data-member="bob"' in client.get(URL).content.decode()

    accounts_services.group_leave(user=bob)

    assert 'data-member="bob"' not in client.get(URL).content.decode()
    english = html.unescape(client.get("/en" + URL).content.decode())
    assert "Members' progress" in english


def test_pv1_a_group_member_reads_a_lesson_of_the_groups_level_with_no_query_once_warm(
    group: Group, course: Course
) -> None:
    """The group's level opens the lesson; the steady-state lesson page still costs no query."""
    bob = _join(group, "bob")
    client = log_in_client(Client(), bob)
    url = "/courses/k8s/l2/"
    client.get(url)
    client.get(url)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)

    assert response.status_code == 200 and SECRET in response.content.decode()
    assert len(queries) == 0, [query["sql"] for query in queries]
    # Leaving the group locks it at the next request.
    accounts_services.group_leave(user=bob)
    assert client.get(url).status_code == 403
