"""The lesson experience in a browser (LX-6): a copy button on every code block.

A visitor reads a free preview lesson: each code block has a "Copier" button, reached with
the keyboard alone; pressing it puts the block's exact text on the clipboard and says
"Copié" (shown, and announced to screen readers). The English page says "Copy"/"Copied".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from cloudmentor.demo.catalog.loader import catalog_load
from cloudmentor.learning.models import Lesson
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LESSON = "/courses/linux-ligne-de-commande/premiers-pas-shell/"


@pytest.fixture
def catalog(settings, live_server, tmp_path: Path) -> None:
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    catalog_load()


@pytest.mark.parametrize(
    ("prefix", "locale", "copy", "copied"), [("", "fr-FR", "Copier", "Copié"), ("/en", "en-GB", "Copy", "Copied")]
)
def test_lx6_every_code_block_has_a_keyboard_copy_button_that_copies_its_exact_text(
    browser: Browser, live_server, catalog: None, prefix: str, locale: str, copy: str, copied: str
) -> None:
    assert Lesson.objects.get(slug="premiers-pas-shell").is_free_preview
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    try:
        page.goto(live_server.url + prefix + LESSON)
        blocks = page.locator(".lesson__body pre")
        buttons = page.locator(".lesson__body .code-copy__button")
        expect(buttons.first).to_be_visible()
        assert buttons.count() == blocks.count() >= 2
        expect(buttons.first).to_have_text(copy)

        # Keyboard only: Tab until the first copy button has the focus, then Enter.
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.classList.contains('code-copy__button')"):
                break
        else:
            pytest.fail("no copy button is reachable with the Tab key")
        page.keyboard.press("Enter")

        expect(buttons.first).to_have_text(copied)
        expect(page.locator(".lesson__body [role=status]")).to_have_text(copied)
        clipboard = page.evaluate("navigator.clipboard.readText()")
        assert clipboard == blocks.first.inner_text().rstrip("\n")
        assert clipboard.strip() and copy not in clipboard
        shot(page, f"lx6-copy-button{prefix.replace('/', '-') or '-fr'}")
        expect(buttons.first).to_have_text(copy, timeout=5000)  # the label comes back
    finally:
        context.close()
