"""The printed demo logins work: the member logs in, the staff member with the printed TOTP secret."""

from __future__ import annotations

import base64
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.conftest import csrf_post, log_in
from cloudmentor.demo.services import DEMO_STAFF_TOTP_SECRET, demo_load

pytestmark = pytest.mark.django_db


def _code(secret: str) -> str:
    return f"{totp(base64.b32decode(secret)):06d}"


def test_pv2_demo_member_and_staff_log_in_with_the_printed_logins(client: Client) -> None:
    logins = demo_load()

    assert any("demo / demo-member-password" in login for login in logins)
    assert any(DEMO_STAFF_TOTP_SECRET in login for login in logins)
    assert log_in(Client(), "demo", "demo-member-password").status_code == 302
    assert User.objects.get(username="demo").terms_version == 1
    log_in(client, "staff", "demo-staff-password")
    csrf_post(client, "/accounts/staff/verify/", {"token": _code(DEMO_STAFF_TOTP_SECRET)})
    assert client.get("/staff/").status_code == 200


def test_pv7_staff_totp_reset_prints_a_new_working_secret(client: Client) -> None:
    demo_load()
    out = StringIO()

    call_command("staff_totp_reset", "staff", stdout=out)

    secret = out.getvalue().split("(base32): ")[1].split()[0]
    assert secret != DEMO_STAFF_TOTP_SECRET
    assert TOTPDevice.objects.filter(user__username="staff").count() == 1
    log_in(client, "staff", "demo-staff-password")
    csrf_post(client, "/accounts/staff/verify/", {"token": _code(secret)})
    assert client.get("/staff/").status_code == 200


def test_pv1_the_demo_group_owner_logs_in_and_owns_a_paid_team_group(client: Client) -> None:
    from cloudmentor.accounts.models import Group
    from cloudmentor.billing.models import Invoice

    logins = demo_load()
    demo_load()  # loading twice changes nothing

    assert any("equipe / demo-owner-password" in login for login in logins)
    group = Group.objects.get()
    assert group.owner.username == "equipe" and group.name == "Équipe démo" and group.seats == 10
    assert Invoice.objects.filter(customer__group=group, status=Invoice.Status.PAID).count() == 1
    log_in(client, "equipe", "demo-owner-password")
    page = client.get("/account/group/").content.decode()
    assert "Équipe démo" in page.replace("&#x27;", "'")
