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
        expect(page.locator(".lesson__body [aria-live=polite]")).to_have_text(copied)
        clipboard = page.evaluate("navigator.clipboard.readText()")
        assert clipboard == blocks.first.inner_text().rstrip("\n")
        assert clipboard.strip() and copy not in clipboard
        shot(page, f"lx6-copy-button{prefix.replace('/', '-') or '-fr'}")
        expect(buttons.first).to_have_text(copy, timeout=5000)  # the label comes back
    finally:
        context.close()


CONTRAST = """
(selector) => {
  const parse = (color) => color.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = (rgb) => {
    const [r, g, b] = rgb.map((v) => {
      const c = v / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const color = getComputedStyle(node).backgroundColor;
      if (color && !color.startsWith("rgba(0, 0, 0, 0)") && color !== "transparent") {
        return parse(color);
      }
    }
    return parse(getComputedStyle(document.body).backgroundColor);
  };
  const element = document.querySelector(selector);
  if (!element) {
    return null;
  }
  const fg = luminance(parse(getComputedStyle(element).color));
  const bg = luminance(background(element));
  return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
}
"""


def test_lx6_dark_mode_follows_the_system_setting_with_readable_contrast(
    browser: Browser, live_server, catalog: None
) -> None:
    """No cookie and no switch: a system in dark mode gets dark pages whose text, links and
    buttons keep at least WCAG AA's 4.5:1 contrast; a light system keeps the light pages."""
    for scheme in ("dark", "light"):
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}, color_scheme=scheme)
        page = context.new_page()
        try:
            for path in ("/", LESSON, "/courses/"):
                page.goto(live_server.url + path)
                body = page.evaluate("getComputedStyle(document.body).backgroundColor")
                channels = [int(v) for v in body[body.index("(") + 1 : body.index(")")].split(",")[:3]]
                assert (max(channels) < 60) if scheme == "dark" else (min(channels) > 240), (scheme, path, body)
                for selector in ("main p", "main a", ".site-nav a", ".button--primary", ".lesson__body p"):
                    ratio = page.evaluate(CONTRAST, selector)
                    if ratio is not None:
                        assert ratio >= 4.5, (scheme, path, selector, ratio)
                if scheme == "dark" and path == LESSON:
                    shot(page, "lx6-dark-mode-lesson")
            assert not context.cookies(), "dark mode needs no cookie"
        finally:
            context.close()
