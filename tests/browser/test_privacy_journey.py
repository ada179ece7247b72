"""A member downloads all their data (PV-9), then deletes their account and reads what was
erased and what was kept (PV-10); the same in English. The last email is read from a real
SMTP server.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import PASSWORD
from cloudmentor.billing.models import Invoice
from conftest import body_text
from tests.browser.conftest import shot
from tests.integration.accounts.test_privacy import fully_used

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page: Page, base: str, identifier: str, *, prefix: str = "") -> None:
    page.goto(f"{base}{prefix}/accounts/login/")
    page.locator("#id_identifier").fill(identifier)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form.form button[type=submit]").click()
    expect(page).to_have_url(f"{base}{prefix}/account/")


def test_pv9_pv10_download_my_data_then_delete_my_account(
    page: Page, live_server, smtp_server, settings, tmp_path: Path
) -> None:
    settings.SITE_URL = live_server.url
    used = fully_used("alice", "alice@example.org", ip="203.0.113.10")
    _log_in(page, live_server.url, "alice")

    # From the profile to the data page.
    page.get_by_role("link", name="Voir et télécharger toutes mes données").click()
    expect(page).to_have_url(live_server.url + "/account/data/")
    expect(page.get_by_role("heading", name="Ce que nous conservons")).to_be_visible()
    shot(page, "privacy-01-data-fr")

    # A wrong password: a clear message, no file.
    page.get_by_label("Votre mot de passe").fill("not my password")
    page.get_by_role("button", name="Télécharger mes données").click()
    expect(page.locator(".field__error")).to_contain_text("Le mot de passe est incorrect.")

    # The download itself: a JSON file with every section.
    page.get_by_label("Votre mot de passe").fill(PASSWORD)
    with page.expect_download() as info:
        page.get_by_role("button", name="Télécharger mes données").click()
    download = info.value
    assert download.suggested_filename.startswith("cloudmentor-personal-data-")
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    data = json.loads(target.read_text())
    assert data["format_version"] == 1
    assert data["sections"]["accounts"]["profile"]["username"] == "alice"
    assert data["sections"]["billing"]["invoices"][0]["number"] == used.invoice.number
    assert data["sections"]["learning"]["certificates"][0]["holder_name"] == "Alice Martin"
    assert data["sections"]["operations"]["contact_messages"][0]["subject"] == "Question"
    assert len(data["sections"]["analytics"]["requests"]) == 2

    # The erasure page: what goes, what stays and why, the running subscription and the unpaid invoice.
    page.get_by_role("link", name="Effacer mon compte et mes données").click()
    expect(page).to_have_url(live_server.url + "/account/delete/")
    expect(page.locator("#will-keep")).to_contain_text("L123-22")
    expect(page.locator("#erase-notices")).to_contain_text("sans remboursement")
    expect(page.locator("#erase-notices")).to_contain_text(used.unpaid.number or "")
    shot(page, "privacy-02-delete-fr")

    # Without the word: refused, nothing changed.
    page.get_by_label("Votre mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Effacer définitivement mon compte").click()
    expect(page.locator(".field__error")).to_contain_text("EFFACER")
    assert User.objects.get(pk=used.user.pk).erased_at is None

    page.get_by_label("Votre mot de passe").fill(PASSWORD)
    page.get_by_label("Pour confirmer, tapez EFFACER").fill("EFFACER")
    page.get_by_role("button", name="Effacer définitivement mon compte").click()
    expect(page.get_by_role("heading", name="Vos données sont effacées")).to_be_visible()
    expect(page.locator("#kept-items")).to_contain_text("Factures émises, avec les coordonnées qui y figurent : 2")
    expect(page.locator("#erased-items")).to_contain_text("Tentatives de quiz : 1")
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()  # logged out
    shot(page, "privacy-03-deleted-fr")
    assert all(cookie["name"] != "cm_account" for cookie in page.context.cookies())

    # The last email, at the former address; the account is anonymised, the invoices kept.
    message = smtp_server.wait_for(to="alice@example.org", subject="Vos données CloudMentor@Scale sont effacées")
    assert "L123-22" in body_text(message)
    member = User.objects.get(pk=used.user.pk)
    assert member.username == f"deleted-{member.pk}" and not member.is_active
    assert Invoice.objects.filter(customer__user=member).count() == 2


def test_pv9_pv10_the_same_pages_in_english(page: Page, live_server, smtp_server, settings) -> None:
    settings.SITE_URL = live_server.url
    used = fully_used("emma", "emma@example.org", ip="192.0.2.9")
    User.objects.filter(pk=used.user.pk).update(language="en")
    _log_in(page, live_server.url, "emma", prefix="/en")

    page.goto(live_server.url + "/en/account/data/")
    expect(page.get_by_role("heading", name="What we keep")).to_be_visible()
    shot(page, "privacy-04-data-en")

    page.get_by_role("link", name="Delete my account and my data").click()
    expect(page).to_have_url(live_server.url + "/en/account/delete/")
    expect(page.locator("#will-keep")).to_contain_text("10 years")
    expect(page.locator("#erase-notices")).to_contain_text("without refund")
    shot(page, "privacy-05-delete-en")

    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("To confirm, type DELETE").fill("delete")
    page.get_by_role("button", name="Delete my account for good").click()
    expect(page.get_by_role("heading", name="Your data is erased")).to_be_visible()
    expect(page.locator("#kept-items")).to_contain_text("Issued invoices, with the details printed on them: 2")
    shot(page, "privacy-06-deleted-en")
    message = smtp_server.wait_for(to="emma@example.org", subject="Your CloudMentor@Scale data is erased")
    assert "What was kept, and why" in body_text(message)
