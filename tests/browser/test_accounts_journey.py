"""A member registers, logs out, logs in, forgets the password and sets a new one from the email.

The recovery email is read from a real SMTP server (aiosmtpd) the platform sends to; the
cookies are checked in the browser at each step (CK-3 to CK-7).
"""

from __future__ import annotations

import re
import time
from email.message import Message

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "my first long passphrase"
NEW_PASSWORD = "my second long passphrase"


def _cookies(page: Page) -> dict[str, dict]:
    return {cookie["name"]: cookie for cookie in page.context.cookies()}


def _text(message: Message) -> str:
    part = next((p for p in message.walk() if p.get_content_type() == "text/plain"), message)
    payload = part.get_payload(decode=True)
    return payload.decode(part.get_content_charset() or "utf-8") if isinstance(payload, bytes) else str(payload)


def test_ck5_ck7_ck3_ck6_register_logout_login_recover_in_a_browser(
    page: Page, browser: Browser, live_server, smtp_server, settings
) -> None:
    settings.SITE_URL = live_server.url
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    # Register (CK-5): a 1-hour form cookie, then logged in at once.
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Créer un compte").click()
    expect(page).to_have_url(live_server.url + "/accounts/register/")
    assert set(_cookies(page)) == {"cm_form_register"}
    page.get_by_label("Nom d'utilisateur").fill("ada")
    page.get_by_label("Adresse e-mail").fill("ada@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_label("J'accepte les conditions d'utilisation").check()
    expect(page.get_by_label("Je souhaite recevoir la newsletter")).not_to_be_checked()
    shot(page, "accounts-01-register")
    page.get_by_role("button", name="Créer mon compte").click()

    expect(page).to_have_url(live_server.url + "/account/")
    expect(page.get_by_role("status")).to_contain_text("Bienvenue ada")
    expect(page.locator("#personal-data")).to_contain_text("ada@example.org")
    cookies = _cookies(page)
    assert set(cookies) == {"cm_account"}
    assert cookies["cm_account"]["httpOnly"]
    assert 29 * 86400 < cookies["cm_account"]["expires"] - time.time() <= 30 * 86400
    assert "ada" not in cookies["cm_account"]["value"]
    shot(page, "accounts-02-registered-account-page")
    smtp_server.wait_for(subject="Bienvenue")

    # Log out (CK-7): the account cookie is deleted from this browser.
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    assert _cookies(page) == {}
    shot(page, "accounts-03-logged-out")

    # Log in (CK-3, CK-4): a 1-day form cookie, deleted once logged in.
    page.get_by_role("link", name="Se connecter").click()
    assert set(_cookies(page)) == {"cm_form_login"}
    assert 86400 - 60 < _cookies(page)["cm_form_login"]["expires"] - time.time() <= 86400
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill("ada@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    shot(page, "accounts-04-login")
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(live_server.url + "/account/")
    assert set(_cookies(page)) == {"cm_account"}

    # On a second device, the forgotten-password path (CK-6).
    phone_context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844})
    phone = phone_context.new_page()
    phone.goto(live_server.url + "/accounts/login/")
    phone.get_by_role("link", name="Mot de passe oublié ?").click()
    expect(phone).to_have_url(live_server.url + "/accounts/password/forgot/")
    assert set(_cookies(phone)) == {"cm_form_login", "cm_form_recover"}
    phone.get_by_label("Adresse e-mail de votre compte").fill("ada@example.org")
    shot(phone, "accounts-05-forgot-password")
    phone.get_by_role("button", name="Recevoir le lien").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Vérifiez votre boîte de réception")
    assert "cm_form_recover" not in _cookies(phone)
    shot(phone, "accounts-06-check-inbox")

    message = smtp_server.wait_for(subject="Choisir un nouveau mot de passe")
    assert message["X-Envelope-To"] == "ada@example.org"
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", _text(message))
    assert link, _text(message)
    phone.goto(link.group(0))
    assert "cm_form_reset" in _cookies(phone)
    phone.get_by_label("Nouveau mot de passe").fill(NEW_PASSWORD)
    shot(phone, "accounts-07-new-password")
    phone.get_by_role("button", name="Enregistrer le mot de passe").click()

    expect(phone).to_have_url(live_server.url + "/account/")
    expect(phone.get_by_role("status")).to_contain_text("Votre nouveau mot de passe est enregistré")
    assert "cm_form_reset" not in _cookies(phone)
    assert "cm_account" in _cookies(phone)
    shot(phone, "accounts-08-logged-in-with-new-password")

    # The link was single-use, and the other device was logged out by the reset.
    phone.goto(link.group(0))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Lien invalide ou expiré")
    page.goto(live_server.url + "/account/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    shot(page, "accounts-09-first-device-logged-out")
    phone_context.close()

    assert all(url.startswith(live_server.url) or url.startswith("data:") for url in requested), requested


def test_ck3_the_journey_pages_exist_in_english(page: Page, live_server) -> None:
    page.goto(live_server.url + "/en/")
    page.get_by_role("link", name="Log in").click()
    expect(page).to_have_url(live_server.url + "/en/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgotten password")
    page.goto(live_server.url + "/en/accounts/register/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Create an account")
    shot(page, "accounts-10-register-en")


def _log_in(page: Page, base: str, identifier: str, password: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill(identifier)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_tm9_devices_page_logs_out_another_device(page: Page, browser: Browser, live_server) -> None:
    from cloudmentor.accounts.tests.factories import UserFactory

    UserFactory(username="ada", email="ada@example.org")
    from cloudmentor.accounts.tests.factories import PASSWORD as FACTORY_PASSWORD

    other = browser.new_context(locale="fr-FR")
    other_page = other.new_page()
    _log_in(other_page, live_server.url, "ada", FACTORY_PASSWORD)
    _log_in(page, live_server.url, "ada", FACTORY_PASSWORD)

    page.goto(live_server.url + "/account/sessions/")
    rows = page.locator("#sessions tbody tr")
    expect(rows).to_have_count(2)
    shot(page, "accounts-11-devices")
    rows.filter(has_not=page.locator(".badge")).get_by_role("button").click()
    expect(page.get_by_role("status")).to_contain_text("L'appareil a été déconnecté")
    expect(rows).to_have_count(1)
    other_page.goto(live_server.url + "/account/")
    expect(other_page).to_have_url(re.compile(r"/accounts/login/"))
    other.close()


def test_tm9_too_many_failures_show_a_429_page_in_english(page: Page, live_server, settings) -> None:
    settings.ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP = 2
    page.goto(live_server.url + "/en/accounts/login/")
    for _attempt in range(3):
        page.get_by_label("Username or email address").fill("ada")
        page.get_by_label("Password").fill("not the right password")
        page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Too many attempts")
    shot(page, "accounts-12-too-many-attempts-en")


def test_pv7_staff_enter_the_staff_area_with_a_totp_code(page: Page, live_server) -> None:
    from django_otp.oath import totp

    from cloudmentor.accounts.services import staff_totp_device_create
    from cloudmentor.accounts.tests.factories import PASSWORD as FACTORY_PASSWORD
    from cloudmentor.accounts.tests.factories import StaffFactory

    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = staff_totp_device_create(user=staff)

    page.goto(live_server.url + "/staff/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill("root")
    page.get_by_label("Mot de passe").fill(FACTORY_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérification en deux étapes")
    shot(page, "accounts-13-staff-totp")
    page.get_by_label("Code à 6 chiffres").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Vérifier").click()

    expect(page).to_have_url(live_server.url + "/staff/")
    page.get_by_role("link", name=re.compile("Utilisateurs|Users", re.IGNORECASE)).first.click()
    shot(page, "accounts-14-staff-members")
