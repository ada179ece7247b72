"""Accessibility (LX-7): axe-core finds no serious or critical WCAG 2.2 AA violation on any page
a visitor or a member reaches from the home page, in French and in English.

axe-core is the copy bundled by axe-playwright-python (no download), run in Debian's chromium.
The pages are found by following the site's own links (same origin, GET, not staff, not files).
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from cloudmentor.accounts.tests.factories import PASSWORD, UserFactory
from cloudmentor.billing.models import AccessLevel
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.demo.catalog.loader import catalog_load
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES_PER_RUN = 24
SKIPPED = ("/staff/", "/accounts/logout", "/media/", "/static/", "/jsi18n", "/healthz", "/.well-known/")
FILES = (".pdf", ".csv", ".json", ".zip", ".md", ".txt", ".ics", ".png", ".svg", ".ico")


@pytest.fixture
def site(settings, live_server, tmp_path: Path) -> None:
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    catalog_load()
    PlanFactory(
        slug="essentiel-1-mois", name="Essentiel 1 mois", access_level=AccessLevel.ESSENTIAL, price=Decimal("19.00")
    )
    PlanFactory(slug="pro-3-mois", name="Pro 3 mois", access_level=AccessLevel.PRO, price=Decimal("49.00"), position=2)


def _links(page: Page, base: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    found = []
    for href in hrefs:
        url = urljoin(page.url, href)
        parts = urlsplit(url)
        if not url.startswith(base) or (parts.fragment and parts.path == urlsplit(page.url).path):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if any(path.startswith(prefix) or f"/en{prefix}" in path[:40] for prefix in SKIPPED):
            continue
        if path.lower().endswith(FILES):
            continue
        found.append(path)
    return found


def _audit(page: Page, base: str, starts: list[str], label: str) -> tuple[int, list[str]]:
    """Visit up to PAGES_PER_RUN pages reached from `starts`; return how many, and the serious findings."""
    axe = Axe()
    queue, seen, findings = list(starts), set(), []
    while queue and len(seen) < PAGES_PER_RUN:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(base + path)
        if (
            response is None
            or response.status >= 400
            or "text/html" not in (response.headers.get("content-type") or "")
        ):
            continue
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]})
        for violation in results.response["violations"]:
            if violation.get("impact") in ("serious", "critical"):
                targets = [", ".join(node["target"]) for node in violation["nodes"][:3]]
                findings.append(f"{label} {path}: {violation['id']} ({violation['impact']}) {targets}")
        queue.extend(link for link in _links(page, base) if link not in seen)
    return len(seen), findings


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_lx7_no_serious_accessibility_violation_for_a_visitor_or_a_member(
    browser: Browser, live_server, site: None, prefix: str
) -> None:
    context = browser.new_context(locale="fr-FR" if not prefix else "en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        visited, findings = _audit(page, live_server.url, [prefix + "/"], "visitor")
        assert visited >= 12, visited

        UserFactory(username="lecteur")
        page.goto(live_server.url + prefix + "/accounts/login/")
        page.locator("input[name=identifier]").fill("lecteur")
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form button[type=submit]").last.click()
        expect(page.locator(".logout-form")).to_be_attached()
        shot(page, f"lx7-axe-member{prefix.replace('/', '-') or '-fr'}")
        member_visited, member_findings = _audit(page, live_server.url, [prefix + "/account/"], "member")
        assert member_visited >= 8, member_visited

        assert findings + member_findings == [], "\n".join(findings + member_findings)
    finally:
        context.close()


def _tab_to(page: Page, condition: str, presses: int = 120) -> None:
    """Press Tab until `condition` (JS, on `document.activeElement` as `e`) holds."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const e = document.activeElement; return !!e && ({condition}); }})()"):
            return
    pytest.fail(f"never reached with the Tab key: {condition}")


def test_lx7_a_member_follows_a_lesson_and_takes_an_exam_with_the_keyboard_alone(
    browser: Browser, live_server, site: None
) -> None:
    """No mouse: log in, mark a lesson done and move on, start the exam, answer every question
    (Space on a choice) and send it (Enter) — each control reached with Tab, its focus visible."""
    UserFactory(username="clavier")
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    base = live_server.url
    try:
        page.goto(base + "/accounts/login/")
        _tab_to(page, "e.name === 'identifier'")
        page.keyboard.type("clavier")
        _tab_to(page, "e.name === 'password'")
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.locator(".logout-form")).to_be_attached()

        page.goto(base + "/courses/linux-ligne-de-commande/premiers-pas-shell/")
        _tab_to(page, "e.matches('.lesson__actions button[type=submit]')")
        outline = page.evaluate("getComputedStyle(document.activeElement).boxShadow")
        assert outline and outline != "none", "the focused button shows no focus ring"
        page.keyboard.press("Enter")
        expect(page).to_have_url(re.compile(r"/fichiers-et-droits/$"))

        page.goto(base + "/courses/linux-ligne-de-commande/examen-final/")
        _tab_to(page, "e.matches('#quiz button[type=submit]')")
        page.keyboard.press("Enter")
        questions = page.locator(".quiz__form fieldset")
        expect(questions.first).to_be_visible()
        for index in range(questions.count()):
            _tab_to(
                page,
                f"e.matches('input') && e.closest('fieldset') === document.querySelectorAll('.quiz__form fieldset')[{index}]",
            )
            page.keyboard.press("Space")
            assert page.evaluate("document.activeElement.checked")
        _tab_to(page, "e.matches('.quiz__form button[type=submit]')")
        shot(page, "lx7-keyboard-exam-answered")
        page.keyboard.press("Enter")
        expect(page.locator("main")).to_contain_text(re.compile(r"\d+\s*%"))
        shot(page, "lx7-keyboard-exam-result")
    finally:
        context.close()
