"""A staff member writes a lesson and sees it rendered as members will, while typing (LM-6)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from cloudmentor.accounts.services import staff_totp_device_create
from cloudmentor.accounts.tests.factories import StaffFactory
from cloudmentor.learning.tests.factories import ModuleFactory
from tests.browser.conftest import shot, staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_lm6_the_lesson_editor_previews_the_markdown_while_typing(page: Page, live_server) -> None:
    ModuleFactory()
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = staff_totp_device_create(user=staff)

    staff_log_in(page, live_server.url + "/staff/learning/lesson/add/", device)

    page.locator("textarea#id_body").fill(
        "## Les régions\n\nUne région compte **au moins trois** zones.\n\n```bash\naws ec2 describe-regions\n```"
    )

    preview = page.locator(".lesson-preview")
    expect(preview.locator("h2")).to_have_text("Les régions")
    expect(preview.locator("strong")).to_have_text("au moins trois")
    expect(preview.locator("pre")).to_contain_text("aws ec2 describe-regions")
    shot(page, "learning-14-lesson-editor-preview")
