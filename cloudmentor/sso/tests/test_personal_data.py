"""The SSO link in the personal data registry (PV-9, PV-10, ID-1) and the sign-in cookie on the policy page (CK-9)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.core import personal_data
from cloudmentor.sso import services
from cloudmentor.sso.models import SignIn, SsoLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def linked() -> Any:
    owner = UserFactory(username="olga", email="olga@acme.example")
    group = accounts_services.group_create(owner=owner, name="Acme")
    provider = services.identity_provider_save(
        group=group,
        issuer="https://idp.acme.example",
        client_id="c",
        client_secret="s",
        domains=["acme.example"],
        require_sso=False,
    )
    member = UserFactory(username="bob", email="bob@acme.example")
    SsoLink.objects.create(user=member, provider=provider, subject="sub-42", last_login_at=timezone.now())
    SignIn.objects.create(
        key_hash="k" * 64,
        provider=provider,
        state="s",
        nonce="n",
        code_verifier="v",
        expires_at=timezone.now(),
        link_user=member,
    )
    return member


def test_pv9_the_export_holds_the_sso_link(linked: Any) -> None:
    document = personal_data.export_document(subject=personal_data.Subject.of(linked), generated_at=timezone.now())
    link = document["sections"]["sso"]["link"]
    assert link["subject"] == "sub-42" and link["issuer"] == "https://idp.acme.example" and link["group"] == "Acme"


def test_pv10_erasure_removes_the_sso_link_and_waiting_sign_ins(linked: Any) -> None:
    outcomes = accounts_services.account_erase(user=linked, actor=linked)
    assert not SsoLink.objects.exists() and not SignIn.objects.exists()
    erased = [item.key for outcome in outcomes for item in outcome.outcome.erased]
    assert "sso_link" in erased


def test_pv9_the_data_page_lists_the_sso_section(linked: Any) -> None:
    from conftest import log_in_client

    page = log_in_client(Client(), linked).get("/account/data/").content.decode()
    assert "Authentification d&#x27;entreprise" in page or "Authentification d'entreprise" in page


def test_ck9_the_cookie_policy_lists_the_sign_in_cookie() -> None:
    page = Client().get("/legal/cookies/").content.decode()
    assert "cm_sso" in page


def test_id1_the_callbacks_code_and_state_never_reach_the_request_log() -> None:
    """The provider's code and our state travel in the callback's query: the request log keeps neither (PV-5)."""
    from cloudmentor.core.redaction import redact_query

    query = "code=Zx81kQ2&state=abcdefghijklmnopqrstuvwxyz0123456789"
    assert "Zx81kQ2" not in redact_query(query) and "abcdefghij" not in redact_query(query)


@pytest.mark.parametrize(
    ("claims", "verified"),
    [
        ({"email_verified": True}, True),
        ({"email_verified": "true"}, True),
        ({"xms_edov": True}, True),
        ({"email_verified": False}, False),
        ({"email_verified": "false", "xms_edov": False}, False),
        ({}, False),
    ],
)
def test_id1_only_a_vouched_address_counts_as_verified(claims: dict[str, object], verified: bool) -> None:
    """`email_verified` true, or Entra ID's `xms_edov` true; anything else is unverified."""
    assert services.email_verified(claims) is verified
