"""Single sign-on through a real OpenID Provider (ID-1, PV-1, TM-2, CK-4, CK-7): sign-in, seats, linking, refusals."""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from cloudmentor.accounts.models import AccountSession, GroupMembership, User
from cloudmentor.accounts.services import group_set_seats, session_expiry_for
from cloudmentor.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from cloudmentor.sso.models import SignIn, SsoLink
from conftest import assert_cookies_sealed, submit

from .conftest import Company, callback_uri, sso_sign_in, sso_start

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _body(response: Any) -> str:
    return html.unescape(response.content.decode())


def test_id1_a_new_colleague_signs_in_by_sso_takes_a_seat_and_lands_logged_in(company: Company) -> None:
    """First sign-in: the account is created, seated in the group, linked, and logged in (PKCE, state, nonce sent)."""
    username, email = company.person("alice")
    client = Client()
    authorize = sso_start(client, email)
    query = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(company.idp.issuer)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0] and query["login_hint"] == [email]
    assert query["redirect_uri"] == [callback_uri()] and "openid" in query["scope"][0]

    back = company.idp.sign_in(authorize, username, "corp-passphrase-42")
    parts = urlsplit(back)
    response = client.get(f"{parts.path}?{parts.query}")

    assert response.status_code == 302 and response["Location"] == "/account/"
    user = User.objects.get(email=email)
    assert GroupMembership.objects.filter(group=company.group, user=user).exists()
    assert SsoLink.objects.get(user=user).provider == company.provider
    assert user.terms_version is not None and not user.has_usable_password()
    assert_cookies_sealed(response)
    assert response.cookies["cm_sso"]["max-age"] == 0  # the sign-in's cookie is gone
    assert client.get("/account/").status_code == 200
    assert SignIn.objects.get().used_at is not None


def test_id1_the_callback_serves_once(company: Company) -> None:
    """Replaying the provider's answer (same code and state) finds the sign-in spent: refused, nobody else logged in."""
    username, email = company.person("bruno")
    client = Client()
    back = company.idp.sign_in(sso_start(client, email), username, "corp-passphrase-42")
    parts = urlsplit(back)
    assert client.get(f"{parts.path}?{parts.query}").status_code == 302
    replay = client.get(f"{parts.path}?{parts.query}")
    assert replay.status_code == 400 and "plus valable" in _body(replay)


def test_id1_a_returning_member_is_found_by_the_providers_subject(company: Company) -> None:
    """The second sign-in logs the same account in: no new account, no second seat."""
    username, email = company.person("chloe")
    sso_sign_in(Client(), company, username, email)
    response = sso_sign_in(Client(), company, username, email)
    assert response.status_code == 302
    assert User.objects.filter(email=email).count() == 1
    assert company.group.memberships.count() == 2


def test_pv1_a_full_group_refuses_a_new_colleague_with_a_clear_page_and_creates_nothing(company: Company) -> None:
    """Seats count the owner: one seat is full; the colleague gets a page that says so, and no account exists."""
    group_set_seats(group=company.group, seats=1)
    username, email = company.person("dora")
    response = sso_sign_in(Client(), company, username, email)
    assert response.status_code == 403
    assert "places du groupe" in _body(response)
    assert not User.objects.filter(email=email).exists()
    assert not SsoLink.objects.exists()


def test_id1_the_english_pages_speak_english(company: Company) -> None:
    """Started under /en/, the sign-in's refusal page is in English."""
    group_set_seats(group=company.group, seats=1)
    username, email = company.person("eric")
    response = sso_sign_in(Client(), company, username, email, prefix="/en")
    assert response.status_code == 403 and "seats" in _body(response)


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("tampered", "n'a pas pu être vérifiée"),
        ("audience", "n'a pas pu être vérifiée"),
        ("expired", "n'a pas pu être vérifiée"),
        ("nonce", "n'a pas pu être vérifiée"),
        ("issuer", "n'a pas pu être vérifiée"),
    ],
)
def test_id1_a_spoiled_id_token_is_refused_and_no_account_is_created(company: Company, fault: str, words: str) -> None:
    """Tampered signature, another audience, expired, another nonce, another issuer: a clear 403, nothing written."""
    username, email = company.person(f"f{fault}")
    company.idp.fault(fault)
    client = Client()
    response = sso_sign_in(client, company, username, email)
    assert response.status_code == 403, _body(response)[:500]
    assert words in _body(response)
    assert not User.objects.filter(email__iendswith="@acme.example").exclude(pk=company.owner.pk).exists()
    assert not SsoLink.objects.exists() and not AccountSession.objects.filter(user__isnull=False).exists()
    assert client.get("/account/").status_code == 302  # not logged in


def test_id1_a_wrong_state_is_refused(company: Company) -> None:
    """The provider's answer with another state (a forged or crossed callback) is refused before any exchange."""
    username, email = company.person("gina")
    client = Client()
    back = company.idp.sign_in(sso_start(client, email), username, "corp-passphrase-42")
    query = parse_qs(urlsplit(back).query)
    response = client.get("/sso/callback/", {"code": query["code"][0], "state": "forged-state"})
    assert response.status_code == 400 and "plus valable" in _body(response)
    assert not User.objects.filter(email=email).exists()


def test_id1_a_callback_without_the_browsers_cookie_is_refused(company: Company) -> None:
    """Another browser (login CSRF: an attacker's code pushed into a victim's browser) has no sign-in: refused."""
    username, email = company.person("hugo")
    back = company.idp.sign_in(sso_start(Client(), email), username, "corp-passphrase-42")
    parts = urlsplit(back)
    victim = Client()
    sso_start(victim, email)  # the victim's browser has a sign-in of its own, with another state
    response = victim.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 400 and "plus valable" in _body(response)
    assert not User.objects.filter(email=email).exists()


def test_id1_an_email_outside_the_groups_domains_is_refused(company: Company) -> None:
    """The provider vouches for an address of another domain: refused, nothing created."""
    username, email = company.person("ines", email="ines@elsewhere.example")
    client = Client()
    back = company.idp.sign_in(sso_start(client, "ines@acme.example"), username, "corp-passphrase-42")
    parts = urlsplit(back)
    response = client.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 403 and "domaines" in _body(response)
    assert not User.objects.filter(email=email).exists()


def test_id1_an_unverified_email_is_refused(company: Company) -> None:
    username, email = company.person("jules", email_verified=False)
    response = sso_sign_in(Client(), company, username, email)
    assert response.status_code == 403 and "pas confirmé votre adresse" in _body(response)
    assert not User.objects.filter(email=email).exists()


def test_id1_an_unknown_domain_gets_a_message_on_the_form(company: Company) -> None:
    response = Client().post("/sso/", {"email": "kim@nowhere.example"})
    assert response.status_code == 400 and "Aucune entreprise" in _body(response)
    english = Client().post("/en/sso/", {"email": "kim@nowhere.example"})
    assert english.status_code == 400 and "No company" in _body(english)


def test_id1_an_existing_account_is_linked_only_after_its_password(company: Company) -> None:
    """Same verified address as an account opened here: the password is asked once, then SSO alone suffices."""
    existing = UserFactory(username="lena", email="lena@acme.example")
    username, email = company.person("lena")
    client = Client()
    response = sso_sign_in(client, company, username, email)
    assert response.status_code == 302 and response["Location"] == "/sso/link/"
    assert client.get("/account/").status_code == 302  # not logged in yet
    page = client.get("/sso/link/")
    assert page.status_code == 200 and "lena" in _body(page)

    wrong = client.post("/sso/link/", {"password": "not the password"})
    assert wrong.status_code == 400 and "incorrect" in _body(wrong)
    assert not SsoLink.objects.filter(user=existing).exists()

    right = client.post("/sso/link/", {"password": PASSWORD})
    assert right.status_code == 302
    assert SsoLink.objects.get(user=existing).provider == company.provider
    assert GroupMembership.objects.filter(group=company.group, user=existing).exists()
    assert client.get("/account/").status_code == 200
    # Next time, no password.
    again = sso_sign_in(Client(), company, username, email)
    assert again.status_code == 302 and again["Location"] == "/account/"


def test_id1_a_link_page_without_a_waiting_sign_in_is_refused(db: None) -> None:
    response = Client().post("/sso/link/", {"password": "x"})
    assert response.status_code == 400 and "plus valable" in _body(response)


def test_tm2_staff_accounts_never_log_in_by_sso(company: Company) -> None:
    StaffFactory(username="sam", email="sam@acme.example")
    username, email = company.person("sam")
    response = sso_sign_in(Client(), company, username, email)
    assert response.status_code == 403 and "second facteur" in _body(response)
    assert not SsoLink.objects.exists()


def test_tm2_the_owner_requires_sso_and_members_password_login_is_refused(company: Company) -> None:
    """« Exiger la connexion par l'entreprise »: a member's right password is refused with a clear message; the owner keeps theirs."""
    member = UserFactory(username="max", email="max@acme.example")
    GroupMembership.objects.create(group=company.group, user=member)
    company.provider.require_sso = True
    company.provider.save()

    client = Client()
    refused = submit(client, "/accounts/login/", {"identifier": "max", "password": PASSWORD})
    assert refused.status_code == 200 and client.get("/account/").status_code == 302
    assert "exige la connexion par l'authentification de votre entreprise" in _body(refused)
    owner = submit(Client(), "/accounts/login/", {"identifier": "olga", "password": PASSWORD})
    assert owner.status_code == 302


def test_ck4_an_sso_login_sets_the_same_account_cookie_counts_toward_the_cap_and_shows_on_the_devices(
    company: Company, settings: Any
) -> None:
    """The account cookie of an SSO login is a password login's: sealed, until the account's validity; capped; listed."""
    settings.ACCOUNTS_MAX_SESSIONS = 2
    username, email = company.person("nora")
    clients = [Client(HTTP_USER_AGENT=f"Mozilla/5.0 (X11; Linux x86_64) Firefox/12{n}.0") for n in range(3)]
    responses = [sso_sign_in(client, company, username, email) for client in clients]
    user = User.objects.get(email=email)

    cookie = responses[-1].cookies[settings.SESSION_COOKIE_NAME]
    assert_cookies_sealed(responses[-1])
    expected = session_expiry_for(user=user)
    assert abs(int(cookie["max-age"]) - int((expected - user.date_joined).total_seconds())) < 120
    assert AccountSession.objects.filter(user=user).count() == 2  # the oldest ended (cap)
    assert clients[0].get("/account/").status_code == 302
    devices = clients[2].get("/account/sessions/")
    assert devices.status_code == 200 and "Firefox" in _body(devices)


def test_ck7_logout_ends_this_device_only_and_offers_the_providers_sign_out(company: Company) -> None:
    """Logout deletes this device's session; the other stays; the page offers the provider's end-session endpoint."""
    username, email = company.person("olivier")
    first, second = Client(), Client()
    sso_sign_in(first, company, username, email)
    sso_sign_in(second, company, username, email)

    response = first.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == f"/sso/signed-out/{company.provider.pk}/"
    page = first.get(response["Location"])
    assert company.idp.issuer + "/logout/" in _body(page)
    assert f"client_id={company.client_id}" in _body(page)
    assert first.get("/account/").status_code == 302
    assert second.get("/account/").status_code == 200


def test_ck7_a_password_logout_still_goes_home(company: Company) -> None:
    client = Client()
    submit(client, "/accounts/login/", {"identifier": "olga", "password": PASSWORD})
    assert client.post("/accounts/logout/")["Location"] == "/"


def test_id1_a_provider_that_does_not_answer_gets_a_clear_page(company: Company, settings: Any) -> None:
    company.provider.issuer = "http://127.0.0.1:9/o"
    company.provider.save()
    response = Client().post("/sso/", {"email": "pia@acme.example"})
    assert response.status_code == 502 and "ne répond pas" in _body(response)
    assert settings.SSO_HTTP_TIMEOUT_SECONDS


def test_pv1_a_colleague_seated_by_sso_reads_a_pro_lesson_of_the_groups_plan(company: Company) -> None:
    """The seat gives the group's level at once: the Pro lesson opens for the new colleague."""
    from cloudmentor.billing.models import AccessLevel
    from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory

    module = ModuleFactory(course=CourseFactory(slug="k8s-pro", title="Kubernetes Pro", access_level=AccessLevel.PRO))
    LessonFactory(module=module, slug="l1", position=1, body="Réservé au niveau Pro")
    username, email = company.person("quentin")
    client = Client()
    assert client.get("/courses/k8s-pro/l1/").status_code in (302, 403)
    sso_sign_in(client, company, username, email)
    response = client.get("/courses/k8s-pro/l1/")
    assert response.status_code == 200 and "Réservé au niveau Pro" in _body(response)


def test_tm2_a_password_reset_opens_no_session_for_a_member_whose_group_requires_sso(company: Company) -> None:
    """The reset sets the password, but the member is sent to the login page with the rule, not logged in."""
    from cloudmentor.accounts.tokens import password_reset_link_token

    member = UserFactory(username="rita", email="rita@acme.example")
    GroupMembership.objects.create(group=company.group, user=member)
    company.provider.require_sso = True
    company.provider.save()
    client = Client()
    response = submit(
        client,
        f"/accounts/password/reset/{password_reset_link_token(member)}/",
        {"password": "a brand new passphrase 7"},
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    member.refresh_from_db()
    assert member.check_password("a brand new passphrase 7")
    assert client.get("/account/").status_code == 302
    assert not AccountSession.objects.filter(user=member).exists()


def test_ck8_a_browser_that_refuses_cookies_is_told_they_are_needed(company: Company) -> None:
    """Back from the provider with no cookie at all: the page says the sign-in needs one, with the policy's link."""
    username, email = company.person("sacha")
    back = company.idp.sign_in(sso_start(Client(), email), username, "corp-passphrase-42")
    parts = urlsplit(back)
    response = Client().get(f"{parts.path}?{parts.query}")
    assert response.status_code == 400
    assert "Autorisez les cookies" in _body(response) and "/legal/cookies/" in _body(response)
    assert not User.objects.filter(email=email).exists()


def test_tm8_extending_with_a_password_is_refused_to_a_member_whose_group_requires_sso(company: Company) -> None:
    """The registration page's extension opens a session with a password: refused with the rule, nothing bought."""
    from decimal import Decimal

    from cloudmentor.billing.models import Subscription
    from cloudmentor.billing.tests.factories import PlanFactory

    PlanFactory(slug="pro-3", name="Pro 3 mois", price=Decimal("49.00"), duration_months=3)
    member = UserFactory(username="tess", email="tess@acme.example")
    GroupMembership.objects.create(group=company.group, user=member)
    company.provider.require_sso = True
    company.provider.save()
    before = Subscription.objects.count()

    response = submit(
        Client(),
        "/plans/pro-3/subscribe/",
        {"plan": "pro-3", "email": "tess@acme.example", "password": PASSWORD, "accept_terms": "on", "consent": "on"},
    )

    assert response.status_code == 200
    assert "exige la connexion par l'authentification de votre entreprise" in _body(response)
    assert Subscription.objects.count() == before
    assert "cm_account" not in response.cookies


def test_tm2_a_staff_account_in_a_group_that_requires_sso_keeps_its_password_login(company: Company) -> None:
    """Staff never sign in by SSO, so « exiger » never applies to them: they would be locked out."""
    staff = StaffFactory(username="stella", email="stella@acme.example")
    GroupMembership.objects.create(group=company.group, user=staff)
    company.provider.require_sso = True
    company.provider.save()
    response = submit(Client(), "/accounts/login/", {"identifier": "stella", "password": PASSWORD})
    assert response.status_code == 302
