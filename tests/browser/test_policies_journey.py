"""A new version of the terms, from the staff site to the members (TM-1).

Staff log in to /staff/ (password, then TOTP), write a new version of the terms as a draft,
check its preview and publish it; the home page shows the banner (French and English);
a member gets the email, sees the notice on their next page, reads the new terms and
acknowledges them.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from cloudmentor.accounts.models import User
from cloudmentor.accounts.services import staff_totp_device_create
from cloudmentor.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from cloudmentor.legal.models import PolicyAcceptance
from tests.browser.conftest import shot, staff_log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SUMMARY_FR = "Les remboursements : la clause est précisée, rien ne change pour les abonnements en cours."
SUMMARY_EN = "Refunds: the clause is clarified, nothing changes for current subscriptions."


def test_tm1_staff_publish_new_terms_the_home_page_announces_them_and_a_member_acknowledges(
    page: Page, browser: Browser, live_server, smtp_server, settings
) -> None:
    settings.SITE_URL = live_server.url
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = staff_totp_device_create(user=staff)
    UserFactory(username="alice", email="alice@example.org", language="fr")

    # Staff log in to the staff site and write the new version.
    staff_log_in(page, live_server.url + "/staff/legal/policydocument/add/", device)
    page.locator("select[name=kind]").select_option("terms")
    page.locator("textarea[name=summary_fr]").fill(SUMMARY_FR)
    page.locator("textarea[name=summary_en]").fill(SUMMARY_EN)
    page.locator("textarea[name=body_fr]").fill(
        "## Remboursements\n\nNous n'offrons pas de remboursement, **même** si vous arrêtez d'utiliser le service."
    )
    page.locator("textarea[name=body_en]").fill(
        "## Refunds\n\nWe offer no refund, **even** if you stop using the service."
    )
    # The preview follows the typing (rendered by the server), then the draft is saved.
    expect(page.locator('.policy-preview[data-editor="body_en"] strong')).to_have_text("even")
    page.locator('input[name="_continue"]').click()
    expect(page.locator(".lesson-preview").first).to_contain_text("Remboursements")
    expect(page.locator(".lesson-preview strong").first).to_have_text("même")
    shot(page, "policies-01-staff-draft-with-preview")
    page.locator('input[name="_publish"]').click()
    expect(page.locator(".messagelist")).to_contain_text("Conditions d'utilisation v2 publiée")
    expect(page.locator('input[name="_publish"]')).to_have_count(0)  # published: read-only
    shot(page, "policies-02-staff-published")

    # The home page announces it, in French and in English (a visitor: no cookie).
    visitor = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    home = visitor.new_page()
    home.goto(live_server.url + "/")
    banner = home.locator("#policy-banner")
    expect(banner).to_contain_text("Conditions d'utilisation : nouvelle version du")
    expect(banner).to_contain_text(SUMMARY_FR)
    shot(home, "policies-03-home-banner-fr")
    home.goto(live_server.url + "/en/")
    expect(home.locator("#policy-banner")).to_contain_text("Terms of use: new version of")
    expect(home.locator("#policy-banner")).to_contain_text(SUMMARY_EN)
    shot(home, "policies-04-home-banner-en")
    home.locator("#policy-banner").get_by_role("link", name="Read the new text").click()
    expect(home.locator("#policy-version")).to_contain_text("Version 2")
    assert visitor.cookies() == []
    visitor.close()

    # The member got the email, and sees the notice on the next page after logging in.
    email = smtp_server.wait_for(to="alice@example.org")
    assert email["Subject"] == "Nos conditions d'utilisation changent"
    member = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    reader = member.new_page()
    reader.goto(live_server.url + "/accounts/login/")
    reader.get_by_label("Nom d'utilisateur ou adresse e-mail").fill("alice")
    reader.get_by_label("Mot de passe").fill(PASSWORD)
    reader.get_by_role("button", name="Se connecter").click()
    notice = reader.locator("#terms-notice")
    expect(notice).to_contain_text("Nos conditions d'utilisation ont changé (version 2).")
    shot(reader, "policies-05-member-notice")
    notice.get_by_role("link", name="Lire les nouvelles conditions").click()
    expect(reader.locator("#policy-changes")).to_contain_text(SUMMARY_FR)
    expect(reader.locator("#policy-versions")).to_contain_text("Version 1 du")
    shot(reader, "policies-06-member-reads-new-terms")
    reader.locator("#terms-notice").get_by_role("button", name="J'ai lu les nouvelles conditions").click()
    expect(reader.get_by_role("status")).to_contain_text("votre lecture des conditions d'utilisation (version 2)")
    expect(reader.locator("#terms-notice")).to_have_count(0)
    shot(reader, "policies-07-member-acknowledged")

    # The account page shows the accepted versions.
    reader.goto(live_server.url + "/account/")
    reader.get_by_role("link", name="toutes les versions acceptées").click()
    expect(reader.locator("#acceptances tbody tr")).to_have_count(2)
    shot(reader, "policies-08-member-accepted-versions")
    member.close()
    alice = User.objects.get(username="alice")
    assert alice.terms_version == 2
    assert PolicyAcceptance.objects.filter(user=alice).count() == 2
