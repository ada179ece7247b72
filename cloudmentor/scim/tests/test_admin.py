"""Staff see each group's SCIM tokens (never their value), provisioned people and history at /staff/ (PV-3)."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.oath import totp

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.tests.conftest import log_in
from cloudmentor.accounts.tests.factories import StaffFactory
from cloudmentor.scim.models import ScimToken

from .factories import ScimClient, group_with_seats, token_for, user_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = accounts_services.staff_totp_device_create(user=staff)
    log_in(client, "root")
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"})
    return client


def test_pv3_staff_read_the_groups_provisioning_history_and_never_a_token(staff_client: Client) -> None:
    token, raw = token_for(group_with_seats(3))
    ScimClient(raw).post("Users", user_document("ada@corp.example"))

    history = staff_client.get("/staff/scim/scimevent/")
    tokens = staff_client.get("/staff/scim/scimtoken/")
    detail = staff_client.get(f"/staff/scim/scimtoken/{token.pk}/change/")
    people = staff_client.get("/staff/scim/scimuser/")

    assert history.status_code == 200 and "ada@corp.example" in history.content.decode()
    assert tokens.status_code == 200 and token.hint in tokens.content.decode()
    assert detail.status_code == 200
    stored = ScimToken.objects.get(pk=token.pk).token_hash
    for page in (tokens, detail):
        assert raw not in page.content.decode() and stored not in page.content.decode()
    assert people.status_code == 200 and "ada@corp.example" in people.content.decode()
    assert staff_client.post("/staff/scim/scimevent/add/").status_code == 403
