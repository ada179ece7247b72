"""Learning paths end to end (LX-4, LX-8): the demo's paths assigned by the demo owner to the group's
members, and the reminders sent by the scheduler's command through a real SMTP server."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime
from decimal import Decimal
from email.header import decode_header, make_header
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import Group, GroupMembership, User
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.billing import services as billing_services
from cloudmentor.billing.models import AccessLevel, Plan
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.demo.paths import ASSIGNED, demo_paths_seed
from cloudmentor.demo.services import DEMO_OWNER, demo_load
from cloudmentor.learning import services
from cloudmentor.learning.models import LearningPath, PathAssignment, PathCourse
from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory
from conftest import body_text, log_in_client

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def _subjects(smtp_server: Any, to: str) -> list[str]:
    return [str(make_header(decode_header(str(m["Subject"])))).strip() for m in smtp_server.messages if m["To"] == to]


def test_lx4_lx8_the_demo_has_paths_and_its_group_members_have_the_kubernetes_path_assigned() -> None:
    demo_load()
    owner = User.objects.get(username=DEMO_OWNER["username"])
    group = Group.objects.get(owner=owner)
    path = LearningPath.objects.get(slug=ASSIGNED)
    members = set(GroupMembership.objects.filter(group=group).exclude(user=owner).values_list("user_id", flat=True))

    assert members and path.title == "Devenir administrateur Kubernetes" and path.is_published
    assert [step.course.slug for step in PathCourse.objects.filter(path=path).order_by("position")] == [
        "linux-ligne-de-commande",
        "kubernetes-en-production",
        "securite-du-cloud",
    ]
    assert set(PathAssignment.objects.filter(path=path).values_list("member_id", flat=True)) == members
    demo_load()  # twice: nothing more
    assert PathAssignment.objects.filter(path=path).count() == len(members)
    assert demo_paths_seed(owner_username=DEMO_OWNER["username"]) == 0
    listing = html.unescape(Client().get("/paths/").content.decode())
    assert "Devenir administrateur Kubernetes" in listing and "Devenir ingénieur cloud AWS" in listing
    english = html.unescape(Client().get("/en/paths/devenir-administrateur-kubernetes/").content.decode())
    assert "Become a Kubernetes administrator" in english
    owner_page = log_in_client(Client(), owner).get("/account/group/paths/")
    assert owner_page.status_code == 200 and 'id="path-assign"' in owner_page.content.decode()


def test_lx4_tm2_an_owner_assigns_a_path_and_the_scheduler_reminds_the_member_at_j7_and_j1_by_smtp(
    smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    owner = UserFactory(username="olga", email="olga@example.org")
    plan = PlanFactory(kind=Plan.Kind.GROUP, seats=10, price=Decimal("99.00"), access_level=AccessLevel.PRO)
    billing_services.group_subscription_buy(owner=owner, plan=plan)
    group = Group.objects.get(owner=owner)
    bob = UserFactory(username="bob", email="bob@example.org", language="en")
    GroupMembership.objects.create(group=group, user=bob)
    accounts_services.group_members_changed(group=group)
    course = CourseFactory(slug="k8s", title="Kubernetes")
    LessonFactory(module=ModuleFactory(course=course), slug="pods")
    path = LearningPath.objects.create(
        slug="k8s-admin", title="Devenir administrateur Kubernetes", title_en="Become a Kubernetes administrator"
    )
    path.status = "published"
    path.save()
    PathCourse.objects.create(path=path, course=course, position=0)
    due = date(2027, 3, 15)
    with time_machine.travel(T0, tick=False):
        services.path_assign(owner=owner, group=group, member=bob, path=path, due_on=due)

    for moment in (
        T0,
        datetime(2027, 3, 8, 9, 0, tzinfo=UTC),  # J-7
        datetime(2027, 3, 8, 10, 0, tzinfo=UTC),  # the next hourly run: nothing more
        datetime(2027, 3, 14, 9, 0, tzinfo=UTC),  # J-1
        datetime(2027, 3, 16, 9, 0, tzinfo=UTC),  # past the date: no more
    ):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            call_command("learning_path_reminders", stdout=None)

    subjects = _subjects(smtp_server, "bob@example.org")
    assert subjects == ["Path “Become a Kubernetes administrator” due on March 15, 2027"] * 2
    first, last = [message for message in smtp_server.messages if message["To"] == "bob@example.org"]
    assert "in 7 days" in body_text(first) and "in 1 day." in body_text(last)
    assert "/en/paths/k8s-admin/" in body_text(first)
    assert _subjects(smtp_server, "olga@example.org") == []
    assert PathAssignment.objects.get().reminded_days == 1
