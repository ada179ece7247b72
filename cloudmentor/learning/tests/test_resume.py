"""« Reprendre » leads back to the exact lesson last opened, per course (LX-6)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import services
from cloudmentor.learning.models import Lesson

from .factories import CourseFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db


def _course(slug: str, title: str) -> list[Lesson]:
    module = ModuleFactory(course=CourseFactory(slug=slug, title=title, access_level=AccessLevel.PRO))
    lessons = [
        LessonFactory(module=module, slug=f"{slug}-{n}", title=f"{title} · leçon {n}", position=n) for n in (1, 2, 3)
    ]
    return lessons


@pytest.fixture
def reader(member: User, access: Callable[..., None]) -> User:
    access(member, AccessLevel.PRO)
    return member


def _links(html: str, text: str) -> list[str]:
    """The targets of the links whose text starts with `text`."""
    return re.findall(r'<a[^>]*href="([^"]+)"[^>]*>\s*' + re.escape(text), html)


def test_lx6_the_dashboard_resumes_each_course_at_the_lesson_last_opened_not_the_first_unfinished(
    member_client: Client, reader: User
) -> None:
    """Lesson 1 done, lesson 3 read, then lesson 1 opened again: « Reprendre » is lesson 1, per course."""
    k8s_lessons = _course("k8s", "Kubernetes")
    _course("aws", "AWS")
    services.lesson_complete(user=reader, lesson=k8s_lessons[0])
    member_client.get("/courses/aws/aws-2/")
    member_client.get("/courses/k8s/k8s-3/")
    member_client.get("/courses/k8s/k8s-1/")

    page = member_client.get("/learn/").content.decode()

    assert _links(page, "Reprendre :") == ["/courses/k8s/k8s-1/", "/courses/aws/aws-2/"]
    card = page.split('class="resume card"', 1)[1].split("</section>", 1)[0]
    assert "/courses/k8s/k8s-1/" in card and "Kubernetes · leçon 1" in card
    english = member_client.get("/en/learn/").content.decode()
    assert _links(english, "Resume:") == ["/en/courses/k8s/k8s-1/", "/en/courses/aws/aws-2/"]


def test_lx6_the_course_page_resumes_at_the_lesson_last_opened(member_client: Client, reader: User) -> None:
    _course("k8s", "Kubernetes")
    member_client.get("/courses/k8s/k8s-3/")
    member_client.get("/courses/k8s/k8s-2/")

    page = member_client.get("/courses/k8s/").content.decode()

    assert _links(page, "Reprendre où vous en étiez") == ["/courses/k8s/k8s-2/"]


def test_lx6_a_lesson_withdrawn_since_is_never_offered_to_resume(member_client: Client, reader: User) -> None:
    """The last lesson opened was withdrawn: no link to a missing page; the course is offered instead."""
    lessons = _course("k8s", "Kubernetes")
    member_client.get("/courses/k8s/k8s-2/")
    services.lesson_withdraw(lesson=lessons[1])

    dashboard = member_client.get("/learn/").content.decode()
    course_page = member_client.get("/courses/k8s/").content.decode()

    assert "/courses/k8s/k8s-2/" not in dashboard and "/courses/k8s/k8s-2/" not in course_page
    assert _links(dashboard, "Reprendre :") == []
    assert "/courses/k8s/" in dashboard
    assert member_client.get("/courses/k8s/k8s-2/").status_code == 404
