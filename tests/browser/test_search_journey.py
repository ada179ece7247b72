"""Full-text search in a browser (LX-3, LM-1).

A visitor types "docker" in the catalog's search box: lessons that talk about it are listed
with the matched word highlighted; a lesson above the visitor's plan shows its title and the
plan that opens it, never its text. "k8s" finds the Kubernetes lessons, in French and English.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from cloudmentor.demo.catalog.loader import catalog_load
from cloudmentor.learning import search
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalog(settings, live_server, tmp_path: Path) -> None:
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    catalog_load()
    search.lessons_index_all()


@pytest.mark.parametrize(("prefix", "locale", "button"), [("", "fr-FR", "Leçons"), ("/en", "en-GB", "Lessons")])
def test_lx3_a_visitor_searches_lessons_and_sees_highlights_and_paywall_notes(
    browser: Browser, live_server, catalog: None, prefix: str, locale: str, button: str
) -> None:
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(live_server.url + prefix + "/courses/")
        page.locator("#id_q").fill("docker")
        page.keyboard.press("Enter")
        lessons = page.locator("#lesson-list .lesson-result")
        expect(lessons.first).to_be_visible()
        expect(page.locator("#lessons-title")).to_contain_text(button)
        for index in range(lessons.count()):  # each result: a paywall note and no text, or a highlighted snippet
            result = lessons.nth(index)
            if result.locator(".lesson-result__locked").count():
                assert result.locator(".lesson-result__snippet").count() == 0
            else:
                assert result.locator(".lesson-result__snippet mark").count() >= 1
        shot(page, f"lx3-search-docker{prefix.replace('/', '-') or '-fr'}")

        # A free course's lesson: its snippet, the word highlighted.
        page.locator("#id_q").fill("journalctl")
        page.keyboard.press("Enter")
        marks = page.locator("#lesson-list .lesson-result__snippet mark")
        expect(marks.first).to_be_visible()
        assert all(mark.lower().startswith("journalctl") for mark in marks.all_inner_texts())

        page.locator("#id_q").fill("k8s")
        page.keyboard.press("Enter")
        expect(page.locator("#lesson-list")).to_contain_text("Kubernetes")
    finally:
        context.close()
