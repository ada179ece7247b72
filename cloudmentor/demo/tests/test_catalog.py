"""The demo catalog, and the learning pages as a whole: no third-party request, strict CSP (PV-6, PV-11)."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.test import Client

from cloudmentor.core.tests.test_pages import crawl
from cloudmentor.demo.catalog.loader import catalog_load
from cloudmentor.learning.models import Course, Lesson, LessonKind, Quiz, Resource, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo() -> None:
    catalog_load()


def test_the_demo_catalog_has_eight_real_looking_courses_with_code_video_links_and_a_quiz(demo: None) -> None:
    courses = Course.objects.filter(status=Status.PUBLISHED)
    topics = {topic for course in courses for topic in course.topics.values_list("slug", flat=True)}

    assert courses.count() >= 8
    assert {"aws", "azure", "google-cloud", "kubernetes", "terraform", "linux", "devops", "securite"} <= topics
    for course in courses:
        bodies = "\n".join(Lesson.objects.filter(course=course).values_list("body", flat=True))
        assert "```" in bodies, course
        assert re.search(r"^@\[[^\]]+\]\(https://(www\.youtube\.com|vimeo\.com)/", bodies, re.M), course
        assert re.search(r"\]\(https://", bodies), course
        assert Quiz.objects.filter(lesson__course=course).exists(), course
        assert course.lessons.filter(kind=LessonKind.QUIZ).count() == 1
        assert course.lesson_count == course.lessons.count() >= 5
        assert course.access_level == 0 or course.lessons.filter(is_free_preview=True).exists(), course
    assert Resource.objects.count() >= 8


def test_the_demo_catalog_loads_once(demo: None) -> None:
    assert catalog_load() == []
    assert Course.objects.count() == 8


def test_pv6_pv11_no_learning_page_loads_anything_from_another_site(client: Client, demo: None) -> None:
    """Every page of the catalog a visitor can reach loads only the platform's own assets."""
    pages = crawl(client, ["/", "/courses/", "/en/courses/"], limit=150)

    lessons = [path for path in pages if path.count("/") >= 4 and path.startswith("/courses/")]
    assert len(lessons) >= 8
    for path, parser in pages.items():
        assert parser.inline_scripts == 0 and parser.inline_styles == 0, path
        for asset in parser.assets:
            url = urlparse(asset)
            assert not url.netloc and url.scheme in {"", "data"}, f"{path} loads {asset}"


def test_pv11_frames_are_allowed_only_on_pages_with_a_video_and_only_for_its_player(client: Client, demo: None) -> None:
    video = client.get("/courses/kubernetes-en-production/architecture-cluster/")
    plain = client.get("/courses/kubernetes-en-production/")

    assert "frame-src https://www.youtube-nocookie.com;" in video["Content-Security-Policy"] + ";"
    assert "frame-src 'none'" in plain["Content-Security-Policy"]
    assert "<iframe" not in video.content.decode()


def test_lm2_lessons_show_highlighted_code_external_links_and_the_embed_script(client: Client, demo: None) -> None:
    html = client.get("/courses/kubernetes-en-production/architecture-cluster/").content.decode()

    assert '<div class="highlight"><pre>' in html
    assert 'href="/static/learning/css/pygments.css"' in html
    assert '<script src="/static/learning/js/embeds.js" defer></script>' in html
    assert re.search(r'<a class="external" href="https://kubernetes\.io/[^"]+" rel="noopener noreferrer">', html)


def test_pages_are_translated_under_en(client: Client, demo: None) -> None:
    home = client.get("/en/").content.decode()
    course = client.get("/en/courses/kubernetes-en-production/").content.decode()
    lesson = client.get("/en/courses/kubernetes-en-production/architecture-cluster/").content.decode()

    assert "What each plan opens" in home and "Kubernetes in production: pods, deployments and services" in home
    assert "Syllabus" in course and "What you need" in course
    assert "This video is hosted by YouTube" in lesson and 'href="/en/legal/privacy/"' in lesson
