"""The owner's single sign-on settings (ID-1, TM-2, PV-1): owner only, secret sealed at rest, one group per domain."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import GroupMembership
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.sso import services
from cloudmentor.sso.models import IdentityProvider
from conftest import csrf_post, log_in_client

pytestmark = pytest.mark.django_db

URL = "/account/group/sso/"
FORM = {
    "issuer": "https://login.example.com/tenant/v2.0/",
    "client_id": "client-123",
    "client_secret": "s3cr3t-value-from-the-provider",
    "domains": "Acme.example, @acme.fr",
    "require_sso": "on",
}


def _page(response: Any) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def owner() -> Any:
    user = UserFactory(username="olga", email="olga@acme.example")
    accounts_services.group_create(owner=user, name="Acme")
    return user


def _csrf_post(client: Client, data: dict[str, str]) -> Any:
    return csrf_post(client, URL, data, page=URL)


def test_tm2_the_owner_registers_the_provider_and_the_secret_is_sealed_at_rest(owner: Any) -> None:
    """Saved: issuer normalised, domains lower-cased, « exiger » kept; the database holds no readable secret."""
    client = log_in_client(Client(), owner)
    response = _csrf_post(client, FORM)
    assert response.status_code == 302
    provider = IdentityProvider.objects.get(group__owner=owner)
    assert provider.issuer == "https://login.example.com/tenant/v2.0"
    assert sorted(provider.domains.values_list("domain", flat=True)) == ["acme.example", "acme.fr"]
    assert provider.require_sso is True
    assert provider.client_secret == FORM["client_secret"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT client_secret_sealed FROM sso_identityprovider")
        (stored,) = cursor.fetchone()
    assert FORM["client_secret"] not in stored
    page = _page(client.get(response["Location"]))
    assert "Réglages enregistrés" in page and "/sso/callback/" in page
    assert FORM["client_secret"] not in page  # never shown back


def test_tm2_an_empty_secret_keeps_the_stored_one(owner: Any) -> None:
    client = log_in_client(Client(), owner)
    _csrf_post(client, FORM)
    _csrf_post(client, {**FORM, "client_secret": "", "client_id": "client-456"})
    provider = IdentityProvider.objects.get(group__owner=owner)
    assert provider.client_id == "client-456" and provider.client_secret == FORM["client_secret"]


def test_pv1_a_member_who_is_not_the_owner_gets_403(owner: Any) -> None:
    member = UserFactory(username="bob", email="bob@acme.example")
    GroupMembership.objects.create(group=owner.owned_group, user=member)
    response = log_in_client(Client(), member).get(URL)
    english = log_in_client(Client(), member).get("/en" + URL)
    assert response.status_code == 403 and "Seul le propriétaire" in _page(response)
    assert english.status_code == 403 and "Only the group's owner" in _page(english)


def test_id1_a_domain_declared_by_another_group_is_refused(owner: Any) -> None:
    other = UserFactory(username="zed", email="zed@zed.example")
    group = accounts_services.group_create(owner=other, name="Zed")
    services.identity_provider_save(
        group=group,
        issuer="https://zed.example",
        client_id="z",
        client_secret="z",
        domains=["acme.fr"],
        require_sso=False,
    )
    response = _csrf_post(log_in_client(Client(), owner), FORM)
    assert response.status_code == 400 and "acme.fr est déjà déclaré" in _page(response)
    assert not IdentityProvider.objects.filter(group__owner=owner).exists()


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("issuer", "not a url", "Entrez l'adresse https://"),
        ("domains", "not_a_domain!", "n'est pas un nom de domaine"),
        ("client_secret", "", "Entrez le secret client"),
    ],
)
def test_id1_bad_settings_get_a_clear_message_and_nothing_is_saved(
    owner: Any, field: str, value: str, words: str
) -> None:
    response = _csrf_post(log_in_client(Client(), owner), {**FORM, field: value})
    assert response.status_code == 400 and words in _page(response)
    assert not IdentityProvider.objects.exists()


def test_id1_a_plain_http_issuer_is_refused_where_only_https_is_allowed(owner: Any, settings: Any) -> None:
    settings.SSO_ALLOW_HTTP_ISSUERS = False
    response = _csrf_post(log_in_client(Client(), owner), {**FORM, "issuer": "http://login.example.com"})
    assert response.status_code == 400 and not IdentityProvider.objects.exists()


def test_id1_the_owner_removes_the_provider(owner: Any) -> None:
    client = log_in_client(Client(), owner)
    _csrf_post(client, FORM)
    assert _csrf_post(client, {"action": "delete"}).status_code == 302
    assert not IdentityProvider.objects.exists()


def test_id1_the_group_page_links_the_settings_and_the_login_page_offers_the_entry(owner: Any) -> None:
    group_page = log_in_client(Client(), owner).get("/account/group/")
    assert 'id="group-sso"' in group_page.content.decode() and URL in group_page.content.decode()
    login = Client().get("/accounts/login/")
    assert "Se connecter avec l'authentification de mon entreprise" in _page(login)
    english = Client().get("/en/accounts/login/")
    assert "Sign in with my company's authentication" in _page(english)
    start = Client().get("/en/sso/")
    assert start.status_code == 200 and "Work email address" in _page(start)
