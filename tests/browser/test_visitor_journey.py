"""A visitor reads the home page in French, switches to English and opens the cookie policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from cloudmentor.core.cookies import REGISTRY
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_ck1_visitor_reads_home_switches_to_english_and_opens_the_cookie_policy(page: Page, live_server) -> None:
    """The journey works, sets no cookie, and never requests another origin."""
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Faites progresser votre carrière")
    shot(page, "visitor-01-home-fr")

    page.get_by_role("link", name="English").click()
    expect(page).to_have_url(live_server.url + "/en/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Grow your cloud career")
    shot(page, "visitor-02-home-en")

    page.get_by_role("link", name="Cookie policy").click()
    expect(page).to_have_url(live_server.url + "/en/legal/cookies/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cookie policy")
    expect(page.locator("#cookie-table tbody tr")).to_have_count(len(REGISTRY))  # one row per cookie
    shot(page, "visitor-03-cookie-policy-en")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/legal/cookies/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Politique des cookies")
    shot(page, "visitor-04-cookie-policy-fr-mobile")

    assert page.context.cookies() == []
    assert all(url.startswith(live_server.url) for url in requested), requested


def test_ck8_a_browser_without_cookies_is_told_why_the_form_cannot_work(browser, live_server) -> None:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()

    page.goto(live_server.url + "/contact/")
    context.clear_cookies()  # what a browser that refuses cookies keeps: nothing
    page.get_by_label("Votre nom").fill("Ada")
    page.get_by_label("Votre adresse e-mail").fill("ada@example.com")
    page.get_by_label("Objet").fill("Question")
    page.get_by_label("Message").fill("Bonjour")
    page.get_by_role("button", name="Envoyer").click()

    expect(page.get_by_role("alert")).to_contain_text("aucun cookie")
    expect(page.get_by_role("link", name="Pourquoi ce cookie ? Lire la politique des cookies")).to_be_visible()
    shot(page, "visitor-05-contact-without-cookies")
    context.close()
