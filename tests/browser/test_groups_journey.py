"""Group accounts in a browser (PV-1, TM-2, LM-7).

The owner buys a group plan for their group, invites a member by email (read from a real
SMTP server), the member registers from the link, joins, and reads a lesson of the
group's level; the owner then sees the member's progress, in French and in English.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Browser, Page, expect

from cloudmentor.accounts.models import GroupMembership
from cloudmentor.accounts.tests.factories import PASSWORD, UserFactory
from cloudmentor.billing.models import AccessLevel, Plan, Subscription
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory
from conftest import body_text
from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEMBER_PASSWORD = "a group member's long passphrase"
SECRET = "Contenu réservé au niveau Pro"


def _log_in(page: Page, base: str, identifier: str, password: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill(identifier)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()


def test_pv1_tm2_lm7_owner_buys_invites_member_joins_learns_owner_sees_progress(
    page: Page, browser: Browser, live_server, smtp_server, settings
) -> None:
    settings.SITE_URL = live_server.url
    base = live_server.url
    UserFactory(username="olga", email="olga@example.org", first_name="Olga")
    PlanFactory(
        slug="equipe-5",
        name="Équipe 5 places",
        name_en="Team of 5",
        kind=Plan.Kind.GROUP,
        seats=5,
        price=Decimal("199.00"),
        duration_months=12,
        access_level=AccessLevel.PRO,
    )
    module = ModuleFactory(
        course=CourseFactory(slug="k8s", title="Kubernetes en production", access_level=AccessLevel.PRO)
    )
    LessonFactory(module=module, slug="intro", title="Introduction", position=1, body=SECRET)
    LessonFactory(module=module, slug="pods", title="Les pods", position=2, body="Les pods.")

    # The owner buys a group plan from /plans/: the group is created and holds it.
    _log_in(page, base, "olga", PASSWORD)
    page.goto(base + "/plans/")
    page.locator("#plan-equipe-5").get_by_role("link", name="Choisir pour mon groupe").click()
    expect(page.locator("#group-purchase-summary")).to_contain_text("il sera créé à votre nom")
    page.get_by_label("Nom du groupe").fill("Équipe Cloud d'Olga")
    shot(page, "groups-01-group-plan-fr")
    page.locator("#id_consent").check()  # BZ-2: immediate access, withdrawal right given up
    page.get_by_role("button", name="Commander avec obligation de paiement").click()
    expect(page).to_have_url(base + "/account/group/")
    expect(page.get_by_role("status")).to_contain_text("Équipe 5 places")
    expect(page.locator("#group-summary")).to_contain_text("1 sur 5")
    expect(page.locator("#group-summary")).to_contain_text("Équipe Cloud d'Olga")
    assert Subscription.objects.get().customer.group.owner.username == "olga"

    # The owner invites a member by email; the link comes from a real SMTP server.
    page.get_by_label("Adresse e-mail de la personne à inviter").fill("bruno@example.org")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.get_by_role("status")).to_contain_text("Invitation envoyée à bruno@example.org")
    expect(page.locator("#group-invitations")).to_contain_text("bruno@example.org")
    shot(page, "groups-02-owner-invited-fr")
    message = smtp_server.wait_for(subject="vous invite dans son groupe")
    assert message["To"] == "bruno@example.org"
    match = re.search(r"(https?://\S+/groups/join/[0-9a-f]{64}/)", body_text(message))
    assert match, body_text(message)
    link = match.group(1)

    # The invited person has no account: they register from the link, then join with one click.
    member_context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    member = member_context.new_page()
    member.goto(link)
    expect(member.locator("#join-summary")).to_contain_text("olga vous invite")
    shot(member, "groups-03-join-link-visitor-fr")
    member.locator("#join-register").click()
    member.get_by_label("Nom d'utilisateur").fill("bruno")
    member.get_by_label("Adresse e-mail").fill("bruno@example.org")
    member.get_by_label("Mot de passe").fill(MEMBER_PASSWORD)
    member.get_by_label("J'accepte les conditions d'utilisation").check()
    member.get_by_role("button", name="Créer mon compte").click()
    expect(member).to_have_url(link)
    member.get_by_role("button", name="Rejoindre le groupe").click()
    expect(member).to_have_url(base + "/account/group/")
    expect(member.locator("#group-summary")).to_contain_text("dont le propriétaire est olga")
    shot(member, "groups-04-member-joined-fr")
    assert GroupMembership.objects.get(user__username="bruno").group.owner.username == "olga"

    # The member reads a lesson of the group's level and completes it.
    member.goto(base + "/courses/k8s/intro/")
    expect(member.locator("main")).to_contain_text(SECRET)
    member.get_by_role("button", name="Terminer et passer à la suite").click()
    shot(member, "groups-05-member-reads-pro-lesson-fr")
    member_context.close()

    # The owner sees the member's progress, in French then in English.
    page.goto(base + "/account/group/")
    page.get_by_role("link", name="Voir la progression des membres").click()
    expect(page).to_have_url(base + "/account/group/progress/")
    card = page.locator('[data-member="bruno"]')
    expect(card).to_contain_text("Kubernetes en production")
    expect(card).to_contain_text("50 %")
    shot(page, "groups-06-owner-sees-progress-fr")
    page.goto(base + "/en/account/group/progress/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Members' progress")
    expect(page.locator('[data-member="bruno"]')).to_contain_text("50 %")
    shot(page, "groups-07-owner-sees-progress-en")
    page.goto(base + "/en/account/group/")
    expect(page.locator("#group-members")).to_contain_text("bruno")
    shot(page, "groups-08-owner-group-page-en")
    page.goto(base + "/en/plans/equipe-5/group/")
    expect(page.get_by_role("button", name="Place order with obligation to pay")).to_be_visible()
    shot(page, "groups-09-group-plan-en")
