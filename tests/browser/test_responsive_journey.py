"""Every screen (LX-7): the header never wraps on a desktop, folds behind a menu button on a
phone, the plan comparison fits a phone, and a lesson's outline is reachable first."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from cloudmentor.accounts.tests.factories import PASSWORD, UserFactory
from cloudmentor.billing.models import AccessLevel
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.demo.catalog.loader import catalog_load
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LESSON = "/courses/linux-ligne-de-commande/premiers-pas-shell/"
LONG_NAME = "alexandra.dupont"  # 16 characters


@pytest.fixture
def catalog(settings, live_server, tmp_path: Path) -> None:
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    catalog_load()
    for position, (slug, level) in enumerate(
        [("essentiel-1-mois", AccessLevel.ESSENTIAL), ("pro-3-mois", AccessLevel.PRO), ("pro-12-mois", AccessLevel.PRO)]
    ):
        PlanFactory(slug=slug, name=slug.replace("-", " ").capitalize(), access_level=level, position=position)


def _log_in(page: Page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill(LONG_NAME)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator(".logout-form")).to_be_attached()


def _rows(page: Page, selector: str) -> int:
    """How many rows the visible elements matching `selector` sit on (centres 16 px apart or more)."""
    centres = sorted(
        page.eval_on_selector_all(
            selector,
            "els => els.filter(e => e.offsetParent).map(e => { const b = e.getBoundingClientRect(); "
            "return b.top + b.height / 2; })",
        )
    )
    return 1 + sum(1 for above, below in pairwise(centres) if below - above >= 16)


def test_lx7_a_long_username_never_wraps_the_desktop_header(browser: Browser, live_server, catalog: None) -> None:
    UserFactory(username=LONG_NAME)
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _log_in(page, live_server.url)
        for path in ("/", "/courses/", LESSON):
            page.goto(live_server.url + path)
            header = page.locator(".site-header__inner").bounding_box()
            assert header is not None and header["height"] < 80, (path, header)
            assert _rows(page, ".site-nav a, .account-name, .logout-form button, .lang-switch") == 1, path
            expect(page.locator(".menu-button")).to_be_hidden()
            assert page.locator(".account-name").get_attribute("title") == LONG_NAME
        shot(page, "lx7-header-1280-long-username")
    finally:
        context.close()


@pytest.mark.parametrize(("prefix", "menu"), [("", "Menu"), ("/en", "Menu")])
def test_lx7_on_a_phone_the_header_folds_behind_a_menu_button_and_pages_fit(
    browser: Browser, live_server, catalog: None, prefix: str, menu: str
) -> None:
    UserFactory(username=LONG_NAME)
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        page.goto(live_server.url + prefix + "/")
        button = page.locator(".menu-button")
        expect(button).to_be_visible()
        expect(page.locator(".site-nav")).to_be_hidden()
        header = page.locator(".site-header").bounding_box()
        assert header is not None and header["height"] < 80, header
        shot(page, f"lx7-phone-header-closed{prefix.replace('/', '-')}")

        button.focus()
        page.keyboard.press("Enter")  # the keyboard opens it
        expect(button).to_have_attribute("aria-expanded", "true")
        expect(page.locator(".site-nav")).to_be_visible()
        shot(page, f"lx7-phone-header-open{prefix.replace('/', '-')}")
        page.keyboard.press("Escape")
        expect(button).to_have_attribute("aria-expanded", "false")
        expect(page.locator(".site-nav")).to_be_hidden()

        # No page scrolls sideways; the plan comparison fits.
        for path in ("/", "/courses/", "/plans/", LESSON):
            page.goto(live_server.url + prefix + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, (path, width)
        page.goto(live_server.url + prefix + "/")
        scroll = page.locator(".plan-material .table-scroll")
        expect(scroll).to_be_visible()
        assert scroll.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), "the plan table scrolls sideways"
        shot(page, f"lx7-phone-plan-table{prefix.replace('/', '-')}")

        # A lesson: the first link of the article leads to the course outline.
        page.goto(live_server.url + prefix + LESSON)
        first = page.locator("article.lesson a").first
        expect(first).to_be_visible()
        first.click()
        outline = page.locator("#aside-title")
        expect(outline).to_be_in_viewport()
    finally:
        context.close()
