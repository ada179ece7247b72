"""Visitors without a cookie get cached pages; nobody else does (docs/decisions/0007)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cloudmentor.accounts.models import User
from cloudmentor.billing.models import AccessLevel
from cloudmentor.learning import services
from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory, UserFactory
from conftest import log_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(db: None) -> User:
    return UserFactory(username="alice", email="alice@example.org", first_name="Alice", last_name="Martin")


@pytest.fixture
def member_client(member: User) -> Client:
    return log_in_client(Client(), member)


@pytest.fixture
def course() -> None:
    LessonFactory(
        module=ModuleFactory(course=CourseFactory(slug="aws", title="AWS", access_level=AccessLevel.FREE)), slug="iam"
    )


def _queries(client: Client, url: str, **extra: str) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(queries), response.content


@pytest.mark.parametrize("url", ["/", "/en/", "/courses/", "/courses/?topic=aws", "/courses/aws/", "/courses/aws/iam/"])
def test_a_visitors_page_is_served_from_the_cache_with_the_same_headers(client: Client, course: None, url: str) -> None:
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url)

    assert len(queries) == 0
    assert second.content == first.content
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert second["X-Frame-Options"] == "DENY" and second["Content-Type"] == first["Content-Type"]
    assert not second.cookies


def test_requests_with_a_cookie_always_reach_the_view(
    client: Client, member_client: Client, member: User, course: None
) -> None:
    client.get("/courses/")

    queries, page = _queries(member_client, "/courses/")

    assert queries > 0 and b"alice" in page


def test_unknown_query_parameters_are_not_cached(client: Client, course: None) -> None:
    client.get("/courses/?utm_source=spam")

    queries, _page = _queries(client, "/courses/?utm_source=spam")

    assert queries > 0


def test_publishing_makes_cached_pages_stale(client: Client, course: None, django_capture_on_commit_callbacks) -> None:
    client.get("/courses/")
    with django_capture_on_commit_callbacks(execute=True):
        LessonFactory(module=ModuleFactory(course=CourseFactory(title="Terraform", access_level=AccessLevel.PRO)))

    _queries_count, page = _queries(client, "/courses/")

    assert "Terraform" in page.decode()


def test_errors_and_locked_pages_are_not_cached(client: Client, course: None) -> None:
    client.get("/courses/nulle-part/")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/courses/nulle-part/")

    assert response.status_code == 404 and len(queries) > 0


def test_the_language_is_part_of_the_address(client: Client, course: None) -> None:
    french = client.get("/courses/").content.decode()
    english = client.get("/en/courses/").content.decode()

    assert '<html lang="fr">' in french and '<html lang="en">' in english


def test_a_withdrawn_course_leaves_the_cached_catalog(
    client: Client, course: None, django_capture_on_commit_callbacks
) -> None:
    assert "AWS" in client.get("/courses/").content.decode()
    from cloudmentor.learning.models import Course

    with django_capture_on_commit_callbacks(execute=True):
        services.course_withdraw(course=Course.objects.get(slug="aws"))

    assert client.get("/courses/aws/").status_code == 404
    assert 'href="/courses/aws/"' not in client.get("/courses/").content.decode()
