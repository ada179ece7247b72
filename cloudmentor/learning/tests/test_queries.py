"""Catalog, course and lesson pages cost a constant number of queries whatever the catalog's size."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import OuterRef, Subquery
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import services
from cloudmentor.learning.lessonpage import local_pages_forget
from cloudmentor.learning.models import Course, Lesson, LessonCompletion, LessonRevision, Module, Status, Topic
from cloudmentor.operations.selectors import maintenance_state

from .factories import CourseFactory, LessonFactory, ModuleFactory, TopicFactory

pytestmark = pytest.mark.django_db

COURSES = 500
LESSONS_PER_COURSE = 40  # 20,000 lessons


def _bulk_catalog(topics: list[Topic]) -> None:
    """Add 500 published courses of 2 modules and 40 lessons each, with bulk inserts."""
    courses = Course.objects.bulk_create(
        Course(
            slug=f"bulk-{n}",
            title=f"Cours de masse {n}",
            summary="Un cours parmi beaucoup d'autres.",
            status=Status.PUBLISHED,
            access_level=AccessLevel.PRO,
            lesson_count=LESSONS_PER_COURSE,
            search_document="kubernetes terraform",
        )
        for n in range(COURSES)
    )
    Course.topics.through.objects.bulk_create(
        Course.topics.through(course_id=course.pk, topic_id=topics[n % len(topics)].pk)
        for n, course in enumerate(courses)
    )
    modules = Module.objects.bulk_create(
        Module(course=course, title=f"Module {m}", position=m) for course in courses for m in (1, 2)
    )
    lessons = Lesson.objects.bulk_create(
        Lesson(
            module=module,
            course_id=module.course_id,
            slug=f"lecon-{module.position}-{n}",
            title=f"Leçon {n}",
            body="Du texte.",
            status=Status.PUBLISHED,
            position=n,
        )
        for module in modules
        for n in range(LESSONS_PER_COURSE // 2)
    )
    LessonRevision.objects.bulk_create(
        LessonRevision(lesson=lesson, number=1, title=lesson.title, body=lesson.body) for lesson in lessons
    )
    Lesson.objects.filter(revision__isnull=True).update(
        revision=Subquery(LessonRevision.objects.filter(lesson=OuterRef("pk")).values("pk")[:1])
    )
    assert (
        Lesson.objects.filter(status=Status.PUBLISHED, revision__isnull=False).count() >= COURSES * LESSONS_PER_COURSE
    )


def _count(client: Client, url: str) -> int:
    cache.clear()  # no page cache, no cached rendering: the worst case
    local_pages_forget()
    maintenance_state()  # the maintenance windows (TM-5) are read once for every page, not the catalog's cost
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries)


def test_lm1_pages_cost_a_constant_number_of_queries_with_500_courses_and_20000_lessons(
    client: Client, member_client: Client, member: User, access: Callable[[User, int], None]
) -> None:
    access(member, AccessLevel.EXPERT)
    topics = [TopicFactory(slug=slug, name=slug.title()) for slug in ("aws", "kubernetes", "terraform")]
    course = CourseFactory(slug="k8s", title="Kubernetes", access_level=AccessLevel.PRO)
    course.topics.set(topics[:2])
    first = LessonFactory(module=ModuleFactory(course=course), slug="intro", is_free_preview=True)
    LessonFactory(module=first.module, slug="suite")
    services.course_search_document_update(course=course)
    LessonCompletion.objects.create(user=member, lesson=first)
    pages = {
        "home (visitor)": (client, "/"),
        "catalog (visitor)": (client, "/courses/"),
        "catalog, search and filters": (client, "/courses/?q=kube&topic=kubernetes&level=beginner&plan=30"),
        "catalog, page 3": (client, "/courses/?page=3"),
        "course (visitor)": (client, "/courses/k8s/"),
        "course (subscriber)": (member_client, "/courses/k8s/"),
        "free preview (visitor)": (client, "/courses/k8s/intro/"),
        "lesson (subscriber)": (member_client, "/courses/k8s/suite/"),
        "dashboard": (member_client, "/learn/"),
    }
    member_client.get("/courses/k8s/suite/")  # the enrollment exists: visits only read it
    small = {name: _count(c, url) for name, (c, url) in pages.items()}

    _bulk_catalog(topics)
    large = {name: _count(c, url) for name, (c, url) in pages.items()}

    assert large == small
    assert small["catalog (visitor)"] <= 8 and small["free preview (visitor)"] <= 6
    assert small["lesson (subscriber)"] <= 10, small
    # Once its reader-independent parts are cached, a subscriber's lesson costs no query:
    # the session, the account (accounts), the plan level (billing) and the reader's
    # progress are cached too, each checked against its change stamp (core/stamps.py).
    member_client.get("/courses/k8s/suite/")
    with CaptureQueriesContext(connection) as warm:
        member_client.get("/courses/k8s/suite/")
    assert len(warm) == 0, [query["sql"] for query in warm]
