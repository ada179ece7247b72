"""SC-1: access levels, progress, lesson shells and visitors' pages, as the next request on any worker sees them.

Each worker keeps its own copies (the local-memory cache, and the lesson pages and shells in
its memory); a write made by one worker or by another process must reach them all at once.
"""

from __future__ import annotations

import pytest

from .conftest import Browser, Server

pytestmark = pytest.mark.slow

SECRET = "Contenu réservé aux abonnés Pro"
URL = "/courses/k8s/avance/"


@pytest.fixture(scope="module")
def material(server: Server) -> None:
    """A Pro course: a free preview, then a lesson for subscribers only."""
    server.shell(
        "from cloudmentor.billing.models import AccessLevel\n"
        "from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory\n"
        "module = ModuleFactory(course=CourseFactory(slug='k8s', title='Kubernetes', access_level=AccessLevel.PRO))\n"
        "LessonFactory(module=module, slug='intro', position=1, is_free_preview=True, body='Bienvenue.')\n"
        f"LessonFactory(module=module, slug='avance', title='Le placement', position=2, body={SECRET!r})\n"
        "LessonFactory(module=module, slug='suite', position=3, body='La suite.')\n"
    )


def _grant_pro(server: Server, username: str) -> None:
    server.shell(
        "from datetime import timedelta\n"
        "from django.utils import timezone\n"
        "from cloudmentor.accounts.models import User\n"
        "from cloudmentor.billing.models import AccessLevel\n"
        "from cloudmentor.billing.services import subscription_grant\n"
        "now = timezone.now()\n"
        f"subscription_grant(holder=User.objects.get(username={username!r}), access_level=AccessLevel.PRO,"
        " starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(days=30), actor=None, reason='test')"
    )


def _member(server: Server, username: str, *, pro: bool) -> Browser:
    server.member(username)
    if pro:
        _grant_pro(server, username)
    browser = server.browser()
    server.log_in(browser, username)
    for _ in range(6):
        browser.get(URL)  # every worker keeps the level, the progress and the lesson's shell
    return browser


def test_sc1_a_plan_granted_by_another_process_opens_the_lesson_on_every_worker(server: Server, material: None) -> None:
    browser = _member(server, "grant-sc1", pro=False)
    assert browser.get(URL).status_code == 403  # the free level, cached by every worker
    mark = server.access_mark()

    _grant_pro(server, "grant-sc1")
    pages = [browser.get(URL) for _ in range(20)]

    assert [page.status_code for page in pages] == [200] * 20
    assert all(SECRET in page.text for page in pages)
    assert len(server.workers_since(mark)) >= 2


def test_sc1_a_lesson_marked_done_on_one_worker_shows_done_on_every_worker(server: Server, material: None) -> None:
    browser = _member(server, "progress-sc1", pro=True)
    assert "1 leçon(s) terminée(s)" not in browser.get(URL).text
    mark = server.access_mark()

    done = browser.submit(f"{URL}complete/", {}, page=URL)
    pages = [browser.get(URL) for _ in range(20)]

    assert done.status_code == 302
    assert all("1 leçon(s) terminée(s) sur 3" in page.text for page in pages)
    assert all("Marquer comme non terminée" in page.text for page in pages)
    assert len(server.workers_since(mark)) >= 2


def test_sc1_a_lesson_saved_by_another_process_shows_on_every_worker_and_to_visitors(
    server: Server, material: None
) -> None:
    """A save of the lesson row outside the publishing services (a script): every shell and cached page follows."""
    browser = _member(server, "shell-sc1", pro=True)
    visitor = server.browser()
    for _ in range(6):
        assert "Le placement" in visitor.get("/courses/k8s/").text  # the visitors' page, cached
    mark = server.access_mark()

    server.shell(
        "from cloudmentor.learning.models import Lesson\n"
        "lesson = Lesson.objects.get(slug='avance')\n"
        "lesson.title = 'Le placement des pods'\n"
        "lesson.save()"
    )
    members = [browser.get(URL) for _ in range(20)]
    visitors = [visitor.get("/courses/k8s/") for _ in range(20)]

    assert all("Le placement des pods" in page.text for page in members)
    assert all("Le placement des pods" in page.text for page in visitors)
    assert len(server.workers_since(mark)) >= 2
