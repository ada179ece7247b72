"""Learning paths and English content in a browser (LX-4, LX-5).

The owner of a team assigns the path « Devenir administrateur Kubernetes » to a member with a
due date; the member, who reads the site in English, finds it among their paths, opens it,
follows « Resume » into the first course and reads its lesson in English; the owner sees the
member's progress on the team's path page.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import Group, GroupMembership
from cloudmentor.accounts.tests.factories import PASSWORD, UserFactory
from cloudmentor.billing import services as billing_services
from cloudmentor.billing.models import AccessLevel, Plan
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.demo.catalog.loader import catalog_load
from cloudmentor.demo.paths import demo_paths_seed
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team(settings, live_server, tmp_path: Path) -> None:
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = tmp_path / "media"
    catalog_load()
    owner = UserFactory(username="olga", email="olga@example.org")
    plan = PlanFactory(
        kind=Plan.Kind.GROUP, slug="equipe-12-mois", seats=5, price=Decimal("990.00"), access_level=AccessLevel.PRO
    )
    billing_services.group_subscription_buy(owner=owner, plan=plan)
    group = Group.objects.get(owner=owner)
    bob = UserFactory(username="bob", email="bob@example.org", language="en")
    GroupMembership.objects.create(group=group, user=bob)
    accounts_services.group_members_changed(group=group)
    demo_paths_seed(owner_username="nobody")  # the demo's paths, assigned to no one


def _log_in(page: Page, base: str, username: str, prefix: str = "") -> None:
    page.goto(base + prefix + "/accounts/login/")
    page.locator("input[name=identifier]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    expect(page.locator(".logout-form")).to_be_attached()


def test_lx4_lx5_an_owner_assigns_a_path_and_the_member_follows_it_in_english(
    browser: Browser, live_server, team: None
) -> None:
    base = live_server.url
    due = timezone.localdate() + timedelta(days=30)

    owner = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = owner.new_page()
    _log_in(page, base, "olga")
    page.goto(base + "/account/group/paths/")
    form = page.locator("#path-assign")
    form.locator("select").nth(0).select_option(label="bob")
    form.locator("select").nth(1).select_option(label="Devenir administrateur Kubernetes")
    form.locator("input[type=date]").fill(due.isoformat())
    shot(page, "lx4-owner-assigns-a-path")
    form.get_by_role("button", name="Assigner").click()
    expect(page.locator("#paths")).to_contain_text("bob")
    expect(page.locator("#paths")).to_contain_text("Devenir administrateur Kubernetes")

    member = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    reader = member.new_page()
    _log_in(reader, base, "bob", "/en")
    reader.goto(base + "/en/paths/")
    expect(reader.locator("main")).to_contain_text("Become a Kubernetes administrator")
    reader.get_by_role("link", name="Become a Kubernetes administrator").first.click()
    expect(reader).to_have_url(re.compile(r"/en/paths/devenir-administrateur-kubernetes/$"))
    shot(reader, "lx4-member-path-page-en")
    reader.locator("main a", has_text=re.compile(r"Resume|Start")).first.click()
    expect(reader).to_have_url(re.compile(r"/en/courses/linux-ligne-de-commande/"))  # the path's first course
    if not reader.locator(".lesson__body").count():  # nothing started yet: the course page, then its first lesson
        reader.locator("main a[href$='/premiers-pas-shell/']").first.click()
    expect(reader.locator("html")).to_have_attribute("lang", "en")
    expect(reader.locator(".lesson__body")).to_be_visible()
    assert reader.locator(".lesson__body[lang=fr]").count() == 0, "the lesson fell back to French"
    assert "This lesson is only available in French" not in reader.locator("main").inner_text()
    shot(reader, "lx5-english-lesson")
    reader.locator(".lesson__actions button[type=submit]").first.click()

    page.goto(base + "/account/group/paths/")
    expect(page.locator("#paths")).to_contain_text(re.compile(r"[1-9]\d* %"))
    shot(page, "lx4-owner-sees-progress")
    owner.close()
    member.close()
