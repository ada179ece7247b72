"""SC-5 in a real browser (Debian chromium through Playwright): each page on the node it names.

The browser keeps one cookie jar for 127.0.0.1, whatever the port: what node A set is what
node B reads. Run by ``make browser`` on the throwaway PostgreSQL (the cluster needs it).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.conftest import CHROMIUM_ARGS, chromium_path
from tests.multiprocess.conftest import PASSWORD

from .conftest import Cluster

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    expect.set_options(timeout=15_000)  # six gunicorn workers and two of everything share the machine
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(chromium: Browser) -> Page:
    return chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900}).new_page()


def test_sc5_register_on_a_totp_on_b_logout_on_b_in_a_browser(cluster: Cluster, chromium: Browser) -> None:
    a, b = cluster.nodes
    page = _page(chromium)

    # Register on A; the welcome shows once, the account page on B knows the member.
    page.goto(a.url("/accounts/register/"))
    page.get_by_label("Nom d'utilisateur").fill("lea-sc5")
    page.get_by_label("Adresse e-mail").fill("lea-sc5@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("J'accepte les conditions d'utilisation").check()
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url(a.url("/account/"))
    expect(page.get_by_role("status").first).to_contain_text("Bienvenue lea-sc5")
    page.goto(b.url("/account/"))
    expect(page).to_have_url(b.url("/account/"))
    expect(page.locator("body")).to_contain_text("lea-sc5")
    expect(page.locator("body")).not_to_contain_text("Bienvenue lea-sc5")

    # Logout on B: the cookie the browser had before opens nothing on A.
    old_cookies = page.context.cookies()
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(b.url("/"))
    other = _page(chromium)
    other.context.add_cookies(old_cookies)  # type: ignore[arg-type]  # Cookie and SetCookieParam: twin TypedDicts
    other.goto(a.url("/account/"))
    expect(other).to_have_url(re.compile(re.escape(a.url("/accounts/login/"))))

    # Staff: password on A, TOTP code on B, then the staff site on A.
    staff = a.staff("max-sc5")
    page.goto(a.url("/accounts/login/?next=/staff/"))
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill(staff.username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(re.escape(a.url("/accounts/staff/verify/"))))
    page.goto(b.url("/accounts/staff/verify/?next=/staff/"))
    page.get_by_label("Code à 6 chiffres").fill(staff.code())
    page.get_by_role("button", name="Vérifier").click()
    expect(page).to_have_url(b.url("/staff/"))
    for node in (a, b, a):
        page.goto(node.url("/staff/"))
        expect(page).to_have_url(node.url("/staff/"))
