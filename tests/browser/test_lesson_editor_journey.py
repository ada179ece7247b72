"""A staff member writes a lesson and sees it rendered as members will, while typing (LM-6)."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from playwright.sync_api import Page, expect

from cloudmentor.accounts.services import staff_totp_device_create
from cloudmentor.accounts.tests.factories import PASSWORD, StaffFactory
from cloudmentor.learning.tests.factories import ModuleFactory
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lm6_the_lesson_editor_previews_the_markdown_while_typing(page: Page, live_server) -> None:  # type: ignore[no-untyped-def]
    ModuleFactory()
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = staff_totp_device_create(user=staff)

    page.goto(live_server.url + "/staff/learning/lesson/add/")
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill("root")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_label("Code à 6 chiffres").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Vérifier").click()

    page.locator("textarea.markdown-editor").fill(
        "## Les régions\n\nUne région compte **au moins trois** zones.\n\n```bash\naws ec2 describe-regions\n```"
    )

    preview = page.locator(".lesson-preview")
    expect(preview.locator("h2")).to_have_text("Les régions")
    expect(preview.locator("strong")).to_have_text("au moins trois")
    expect(preview.locator("pre")).to_contain_text("aws ec2 describe-regions")
    shot(page, "learning-14-lesson-editor-preview")
