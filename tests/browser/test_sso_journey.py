"""Single sign-on in a browser (ID-1, PV-1, TM-2, CK-4), through the real OpenID Provider of tests/oidc_provider.

The owner registers the company's provider on the group page; a new colleague chooses
« Se connecter avec l'authentification de mon entreprise », signs in on the provider's own
login page, comes back logged in with a seat of the group, and reads a Pro lesson. Then the
company's directory deactivates them by SCIM (ID-2): their next request is logged out and the
seat is free.
"""

from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from cloudmentor.accounts.models import Group, GroupMembership, User
from cloudmentor.accounts.tests.factories import PASSWORD, UserFactory
from cloudmentor.billing import services as billing_services
from cloudmentor.billing.models import AccessLevel, Plan
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory
from cloudmentor.sso.models import SsoLink
from tests.browser.conftest import CHROMIUM_ARGS, shot  # noqa: F401
from tests.oidc_provider.fixture import OidcProvider, oidc_provider  # noqa: F401  # the fixture, found by name

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECRET = "Contenu réservé au niveau Pro"
CLIENT_SECRET = "journey-client-secret"


def test_id1_pv1_owner_configures_the_provider_a_colleague_signs_in_by_sso_takes_a_seat_and_reads_a_pro_lesson(
    page: Page,
    browser: Browser,
    live_server: Any,
    oidc_provider: OidcProvider,  # noqa: F811
    settings: Any,
) -> None:
    settings.SITE_URL = live_server.url
    settings.SSO_HTTP_TIMEOUT_SECONDS = 30  # the provider shares two cores with the browser and the server
    base = live_server.url
    owner = UserFactory(username="olga", email="olga@acme.example")
    plan = PlanFactory(kind=Plan.Kind.GROUP, seats=3, price=Decimal("199.00"), access_level=AccessLevel.PRO)
    billing_services.group_subscription_buy(owner=owner, plan=plan)
    group = Group.objects.get(owner=owner)
    module = ModuleFactory(
        course=CourseFactory(slug="k8s", title="Kubernetes en production", access_level=AccessLevel.PRO)
    )
    LessonFactory(module=module, slug="intro", title="Introduction", position=1, body=SECRET)
    client_id = f"cloudmentor-{uuid.uuid4().hex[:8]}"
    oidc_provider.client(client_id, CLIENT_SECRET, [f"{base}/sso/callback/"], [f"{base}/"])
    colleague = f"camille-{uuid.uuid4().hex[:6]}"
    oidc_provider.person(colleague, "corp-passphrase-42", "camille@acme.example", name="Camille")

    # The owner registers the company's provider from the group page.
    page.goto(base + "/accounts/login/")
    page.get_by_label("Nom d'utilisateur ou adresse e-mail").fill("olga")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(base + "/account/group/")
    page.locator("#group-sso").click()
    expect(page).to_have_url(base + "/account/group/sso/")
    expect(page.locator("#sso-redirect")).to_contain_text(f"{base}/sso/callback/")
    page.get_by_label("Émetteur (issuer URL)").fill(oidc_provider.issuer)
    page.get_by_label("Identifiant client (client ID)").fill(client_id)
    page.get_by_label("Secret client (client secret)").fill(CLIENT_SECRET)
    page.get_by_label("Domaines de messagerie de l'entreprise").fill("acme.example")
    shot(page, "sso-01-owner-settings-fr")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator("#sso-saved")).to_be_visible()
    shot(page, "sso-02-owner-saved-fr")

    # A new colleague, in another browser, signs in through the company.
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    colleague_page = context.new_page()
    try:
        colleague_page.goto(base + "/accounts/login/")
        colleague_page.get_by_role("link", name="Se connecter avec l'authentification de mon entreprise").click()
        colleague_page.get_by_label("Adresse e-mail professionnelle").fill("camille@acme.example")
        shot(colleague_page, "sso-03-work-email-fr")
        colleague_page.get_by_role("button", name="Continuer vers mon entreprise").click()
        expect(colleague_page.locator("#provider-login")).to_be_visible()  # the provider's own page
        assert colleague_page.url.startswith(oidc_provider.base_url)
        colleague_page.locator("#provider-username").fill(colleague)
        colleague_page.locator("#provider-password").fill("corp-passphrase-42")
        shot(colleague_page, "sso-04-provider-login")
        colleague_page.get_by_role("button", name="Sign in").click()
        expect(colleague_page).to_have_url(base + "/account/")
        shot(colleague_page, "sso-05-logged-in-fr")

        user = User.objects.get(email="camille@acme.example")
        assert GroupMembership.objects.filter(group=group, user=user).exists()
        assert SsoLink.objects.filter(user=user).exists()

        colleague_page.goto(base + "/courses/k8s/intro/")
        expect(colleague_page.get_by_text(SECRET)).to_be_visible()
        shot(colleague_page, "sso-06-pro-lesson-fr")

        # The owner sees the seat taken.
        page.goto(base + "/account/group/")
        expect(page.locator("#group-members")).to_contain_text("camille@acme.example")
        expect(page.locator("#group-summary")).to_contain_text("2 sur 3")
        shot(page, "sso-07-owner-sees-the-seat-fr")

        # ID-2: the owner gives the company's directory a SCIM token; the directory links the
        # colleague, then deactivates them (they left the company).
        page.locator("#group-scim-link").click()
        expect(page).to_have_url(base + "/account/group/scim/")
        page.get_by_label("Nom du jeton").fill("Annuaire Acme")
        page.get_by_role("button", name="Créer le jeton").click()
        token = page.locator("#scim-token-value").input_value()
        shot(page, "sso-08-scim-token-shown-once-fr")
        directory = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
        linked = requests.post(
            base + "/scim/v2/Users",
            headers=directory,
            timeout=10,
            json={"userName": "camille@acme.example", "emails": [{"value": "camille@acme.example", "type": "work"}]},
        )
        assert linked.status_code == 201, linked.text
        deactivated = requests.patch(
            f"{base}/scim/v2/Users/{linked.json()['id']}",
            headers=directory,
            timeout=10,
            json={"Operations": [{"op": "replace", "path": "active", "value": False}]},
        )
        assert deactivated.status_code == 200, deactivated.text

        # The colleague's next request is logged out; the seat is free.
        colleague_page.goto(base + "/courses/k8s/intro/")
        expect(colleague_page.get_by_text(SECRET)).to_have_count(0)
        colleague_page.goto(base + "/account/")
        expect(colleague_page).to_have_url(re.compile(r"/accounts/login/"))
        shot(colleague_page, "sso-09-deprovisioned-logged-out-fr")
        assert not GroupMembership.objects.filter(group=group, user=user).exists()
        page.goto(base + "/account/group/")
        expect(page.locator("#group-summary")).to_contain_text("1 sur 3")
        page.goto(base + "/account/group/scim/")
        expect(page.locator("#scim-history")).to_contain_text("camille@acme.example")
        shot(page, "sso-10-owner-scim-history-fr")
    finally:
        context.close()
