"""What apps add under every page's header, in order, per request (TM-1, TM-5)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from django.http import HttpRequest
from django.test import Client
from django.utils.html import format_html

from cloudmentor.billing.models import AccessLevel
from cloudmentor.core import pageparts
from cloudmentor.learning.lessonpage import _local
from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory, UserFactory
from conftest import log_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def part() -> Iterator[Callable[[Callable[[HttpRequest], str]], None]]:
    """Register a part after the apps' own for the test only."""

    def add(render: Callable[[HttpRequest], str]) -> None:
        pageparts.register(pageparts.PagePart(name="test_part", order=1000, render=render))

    yield add
    pageparts.unregister("test_part")


def _user_part(request: HttpRequest) -> str:
    return format_html('<p id="test-part">{}</p>', getattr(request.user, "username", "") or "visitor")


def test_the_apps_register_their_parts_in_the_order_pages_show_them() -> None:
    assert [item.name for item in pageparts.parts()] == ["maintenance", "terms_notice"]


def test_a_registered_part_shows_between_the_header_and_the_content(
    client: Client, part: Callable[[Callable[[HttpRequest], str]], None]
) -> None:
    part(_user_part)

    page = client.get("/accounts/login/").content.decode()

    assert '<p id="test-part">visitor</p>' in page
    assert page.index("</header>") < page.index('id="test-part"') < page.index('<main id="main"')


def test_a_members_lesson_page_filled_into_its_shell_gets_the_parts_of_its_own_request(
    part: Callable[[Callable[[HttpRequest], str]], None],
) -> None:
    """The shell is rendered once per lesson; each request fills the parts for its reader."""
    part(_user_part)
    LessonFactory(module=ModuleFactory(course=CourseFactory(slug="k8s", access_level=AccessLevel.FREE)), slug="pods")
    pages = []
    for reader in (UserFactory(username="alice"), UserFactory(username="bruno")):
        client = log_in_client(Client(), reader)
        client.get("/courses/k8s/pods/")
        pages.append(client.get("/courses/k8s/pods/").content.decode())

    assert any(entry[2] is not None for entry in _local.values())  # the shell was used
    assert '<p id="test-part">alice</p>' in pages[0] and '<p id="test-part">bruno</p>' in pages[1]
    assert "⁅" not in pages[0] + pages[1]
