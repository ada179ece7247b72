"""A company with a group plan, its identity provider (the real one of tests/oidc_provider), and sign-in helpers."""

from __future__ import annotations

import html
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from cloudmentor.accounts.models import Group, User
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.billing import services as billing_services
from cloudmentor.billing.models import AccessLevel, Plan
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.sso import services as sso_services
from cloudmentor.sso.models import IdentityProvider
from tests.oidc_provider.fixture import OidcProvider, oidc_provider  # noqa: F401  # the fixture, found by name

CLIENT_SECRET = "a-client-secret-only-the-provider-and-we-know"
PASSWORD_AT_PROVIDER = "corp-passphrase-42"


@dataclass
class Company:
    owner: User
    group: Group
    provider: IdentityProvider
    idp: OidcProvider
    client_id: str

    def person(self, name: str, *, email: str | None = None, email_verified: bool = True) -> tuple[str, str]:
        """Create a person at the provider (a unique username there); return (username, email)."""
        username = f"{name}-{uuid.uuid4().hex[:6]}"
        address = email or f"{name}@acme.example"
        self.idp.person(username, PASSWORD_AT_PROVIDER, address, email_verified=email_verified, name=name.title())
        return username, address


def callback_uri() -> str:
    return f"{settings.SITE_URL}/sso/callback/"


@pytest.fixture
def company(oidc_provider: OidcProvider, db: None) -> Company:  # noqa: F811
    owner = UserFactory(username="olga", email="olga@acme.example")
    plan = PlanFactory(kind=Plan.Kind.GROUP, seats=3, price=Decimal("99.00"), access_level=AccessLevel.PRO)
    billing_services.group_subscription_buy(owner=owner, plan=plan)
    group = Group.objects.get(owner=owner)
    client_id = f"cloudmentor-{uuid.uuid4().hex[:8]}"
    oidc_provider.client(client_id, CLIENT_SECRET, [callback_uri()], [f"{settings.SITE_URL}/"])
    provider = sso_services.identity_provider_save(
        group=group,
        issuer=oidc_provider.issuer,
        client_id=client_id,
        client_secret=CLIENT_SECRET,
        domains=["acme.example"],
        require_sso=False,
    )
    return Company(owner=owner, group=group, provider=provider, idp=oidc_provider, client_id=client_id)


def sso_start(client: Client, email: str, *, prefix: str = "") -> str:
    """Submit the work email; return the provider's authorization address we were sent to."""
    response = client.post(f"{prefix}/sso/", {"email": email})
    assert response.status_code == 200, response.content.decode()[:2000]
    match = re.search(r'id="sso-continue" href="([^"]+)"', response.content.decode())
    assert match, response.content.decode()[:2000]
    return html.unescape(match.group(1))


def sso_sign_in(client: Client, company: Company, username: str, email: str, *, prefix: str = "") -> object:
    """The whole journey over HTTP: our start page, the provider's login page, back to our callback."""
    back = company.idp.sign_in(sso_start(client, email, prefix=prefix), username, PASSWORD_AT_PROVIDER)
    parts = urlsplit(back)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == callback_uri()
    return client.get(f"{parts.path}?{parts.query}")


@pytest.fixture(autouse=True)
def _patient_provider_calls(settings: Any) -> None:
    """The provider shares two cores with the whole suite: give its answers time (production: 5 s)."""
    settings.SSO_HTTP_TIMEOUT_SECONDS = 30


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep these tests on one xdist worker (``--dist loadgroup``): one provider started, not one per worker."""
    if not config.pluginmanager.hasplugin("xdist"):
        return  # -p no:xdist: the marker is not even registered
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.xdist_group("sso-oidc-provider"))
