"""Staff set up a group's provider for its owner (ID-1, TM-2): the secret is write-only and sealed."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.sso.models import IdentityProvider
from conftest import log_in_client

pytestmark = pytest.mark.django_db


def _staff_client() -> Client:
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = accounts_services.staff_totp_device_create(user=staff)
    client = log_in_client(Client(), staff)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    assert client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"}).status_code == 302
    return client


def _csrf(response: Any) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())
    assert match
    return match.group(1)


def test_tm2_staff_register_a_provider_for_a_group_and_the_secret_is_sealed() -> None:
    owner = UserFactory(username="olga", email="olga@acme.example")
    group = accounts_services.group_create(owner=owner, name="Acme")
    client = _staff_client()
    url = "/staff/sso/identityprovider/add/"
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(
        url,
        {
            "csrfmiddlewaretoken": _csrf(page),
            "group": group.pk,
            "issuer": "https://idp.acme.example/",
            "client_id": "acme-client",
            "new_client_secret": "staff-typed-secret",
            "domains-TOTAL_FORMS": "1",
            "domains-INITIAL_FORMS": "0",
            "domains-0-domain": "acme.example",
            "links-TOTAL_FORMS": "0",
            "links-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    provider = IdentityProvider.objects.get(group=group)
    assert provider.issuer == "https://idp.acme.example" and provider.client_secret == "staff-typed-secret"
    assert "staff-typed-secret" not in provider.client_secret_sealed
    assert list(provider.domains.values_list("domain", flat=True)) == ["acme.example"]
    change = client.get(f"/staff/sso/identityprovider/{provider.pk}/change/").content.decode()
    assert "staff-typed-secret" not in change and provider.client_secret_sealed not in change
