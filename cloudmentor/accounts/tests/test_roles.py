"""Staff roles with least privilege (TR-1, TM-2, PV-7) and the record of staff accesses (TR-2)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client
from django_otp.oath import totp

from cloudmentor.accounts import roles, services
from cloudmentor.accounts.models import StaffAccess, User

from .conftest import csrf_post, log_in
from .factories import PASSWORD, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _staff(username: str, role: str | None, *, superuser: bool = False) -> User:
    user = StaffFactory(username=username, email=f"{username}@cloudmentor.example", is_superuser=superuser)
    if role:
        user.groups.add(Group.objects.get(name=role))
    return User.objects.get(pk=user.pk)


def _verified_client(user: User) -> Client:
    device = services.staff_totp_device_create(user=user)
    client = Client(enforce_csrf_checks=True)
    assert log_in(client, user.username).status_code == 302
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    response = csrf_post(client, "/accounts/staff/verify/", {"token": code, "next": "/staff/"})
    assert response.status_code == 302, response.content[:300]
    return client


def _verified(user: User) -> User:
    user.is_verified = lambda: True  # type: ignore[attr-defined]  # what django-otp's middleware sets once the code is given
    return user


def _codes(group: str) -> set[str]:
    permissions = Group.objects.get(name=group).permissions.select_related("content_type")
    return {f"{permission.content_type.app_label}.{permission.codename}" for permission in permissions}


def test_tr1_the_four_roles_exist_with_their_permissions() -> None:
    """Each role is a group holding what the role table says, and nothing of the others' data."""
    administrator, support, billing, creator = (_codes(name) for name in roles.ROLE_NAMES)

    assert len(administrator) == Permission.objects.count()
    assert {"accounts.view_user", "analytics.view_requestrecord", "operations.view_contactmessage"} <= support
    assert not {code for code in support if code.startswith(("billing.", "donations."))}
    assert {"billing.view_invoice", "billing.change_invoice", "billing.add_subscription"} <= billing
    assert not {code for code in billing if code.startswith(("analytics.", "operations.", "accounts.", "mailing."))}
    assert "learning.change_lesson" in creator
    assert {code.split(".")[0] for code in creator} == {"learning"}
    assert not creator & {"learning.view_certificate", "learning.view_enrollment", "learning.delete_course"}
    assert "accounts.view_staffaccess" in administrator - support - billing - creator


def test_tr1_roles_are_set_again_after_a_migrate_and_stay_exact() -> None:
    """A permission given by hand to a role is taken back by the next migrate (the table is the truth)."""
    Group.objects.get(name=roles.CREATOR).permissions.add(Permission.objects.get(codename="view_user"))

    roles.roles_ensure()

    assert "accounts.view_user" not in _codes(roles.CREATOR)


def test_tr1_the_staff_password_alone_grants_no_capability() -> None:
    """A superuser whose second factor is not verified in this session has no staff right at all."""
    staff = _staff("root", None, superuser=True)

    assert not roles.user_has_staff_capability(staff, roles.INVOICES)
    assert not roles.user_is_administrator(staff)
    assert roles.user_has_staff_capability(_verified(staff), roles.INVOICES)
    assert roles.user_is_administrator(staff)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (roles.ADMINISTRATOR, {roles.STATISTICS, roles.MEMBER_REQUESTS, roles.INVOICES, roles.CERTIFICATES, roles.DRAFTS, roles.ALL_MATERIAL, roles.STAFF_ACCESS_LOG}),
        (roles.SUPPORT, {roles.STATISTICS, roles.MEMBER_REQUESTS, roles.CERTIFICATES, roles.DRAFTS, roles.ALL_MATERIAL}),
        (roles.BILLING, {roles.INVOICES}),
        (roles.CREATOR, {roles.DRAFTS, roles.ALL_MATERIAL}),
        (None, set()),
    ],
)  # fmt: skip
def test_tr1_each_role_holds_exactly_its_capabilities(role: str | None, allowed: set[str]) -> None:
    staff = _verified(_staff("sam", role))
    capabilities = {
        roles.STATISTICS, roles.MEMBER_REQUESTS, roles.INVOICES, roles.CERTIFICATES,
        roles.DRAFTS, roles.ALL_MATERIAL, roles.STAFF_ACCESS_LOG,
    }  # fmt: skip

    assert {code for code in capabilities if roles.user_has_staff_capability(staff, code)} == allowed


def test_tr1_a_member_has_no_capability_even_with_a_group() -> None:
    """Rights follow the staff status too: a member put in a role's group by mistake gets nothing."""
    member = UserFactory(username="alice")
    member.groups.add(Group.objects.get(name=roles.ADMINISTRATOR))

    assert not roles.user_has_staff_capability(_verified(User.objects.get(pk=member.pk)), roles.INVOICES)


def test_tm2_a_superuser_is_an_administrator_and_a_creator_sees_only_their_material() -> None:
    assert roles.user_roles(_staff("root", None, superuser=True)) == [roles.ADMINISTRATOR]
    assert roles.user_sees_all_material(_staff("root2", None, superuser=True))
    assert roles.user_sees_all_material(_staff("sue", roles.SUPPORT))
    assert not roles.user_sees_all_material(_staff("claire", roles.CREATOR))


def test_pv7_support_sees_a_staff_account_but_cannot_change_it_nor_give_rights(client: Client) -> None:
    """Support manages members; changing a staff account (or anyone's rights or password) is an administrator's."""
    support = _staff("sue", roles.SUPPORT)
    admin = _staff("ada", roles.ADMINISTRATOR)
    member = UserFactory(username="alice", email="alice@example.org")
    staff_client = _verified_client(support)

    own_page = staff_client.get(f"/staff/accounts/user/{member.pk}/change/")
    admin_page = staff_client.get(f"/staff/accounts/user/{admin.pk}/change/")
    promoted = csrf_post(
        staff_client,
        f"/staff/accounts/user/{admin.pk}/change/",
        {"username": "ada", "email": "mine@example.org", "is_superuser": "on"},
    )
    password = staff_client.get(f"/staff/accounts/user/{member.pk}/password/")
    disable = staff_client.get(f"/staff/accounts/user/{admin.pk}/disable/")

    assert own_page.status_code == 200
    assert 'name="email"' in own_page.content.decode()
    assert 'name="is_superuser"' not in own_page.content.decode()  # shown, never an input
    assert 'name="groups"' not in own_page.content.decode()
    assert admin_page.status_code == 200 and 'name="email"' not in admin_page.content.decode()
    assert promoted.status_code == 403
    assert password.status_code == 403
    assert disable.status_code == 403
    admin.refresh_from_db()
    assert admin.email == "ada@cloudmentor.example"
    assert not User.objects.get(pk=support.pk).is_superuser


def test_tr2_an_access_is_recorded_once_per_consultation_and_never_for_oneself() -> None:
    staff = _staff("sue", roles.SUPPORT)
    member = UserFactory(username="alice")

    with time_machine.travel(T0, tick=False):
        first = services.record_staff_access(staff=staff, member=member, kind=StaffAccess.Kind.PROFILE)
        again = services.record_staff_access(staff=staff, member=member, kind=StaffAccess.Kind.PROFILE)
        own = services.record_staff_access(staff=staff, member=staff, kind=StaffAccess.Kind.PROFILE)
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        later = services.record_staff_access(staff=staff, member=member, kind=StaffAccess.Kind.PROFILE)

    assert first is not None and later is not None
    assert again is None and own is None
    assert first.staff_username == "sue" and first.roles == roles.SUPPORT and first.created_at == T0
    assert StaffAccess.objects.filter(member=member).count() == 2


def test_tr2_records_past_the_retention_are_purged_by_the_scheduled_command(settings: Any) -> None:
    settings.ACCOUNTS_STAFF_ACCESS_RETENTION_DAYS = 30
    staff = _staff("sue", roles.SUPPORT)
    member = UserFactory(username="alice")
    with time_machine.travel(T0, tick=False):
        services.record_staff_access(staff=staff, member=member, kind=StaffAccess.Kind.PROFILE)
    with time_machine.travel(T0 + timedelta(days=29), tick=False):
        services.record_staff_access(staff=staff, member=member, kind=StaffAccess.Kind.SESSIONS)

    with time_machine.travel(T0 + timedelta(days=31), tick=False):
        call_command("staff_access_purge", stdout=open("/dev/null", "w"))  # noqa: SIM115 - silenced output

    assert list(StaffAccess.objects.values_list("kind", flat=True)) == [StaffAccess.Kind.SESSIONS]
    assert settings.SCHEDULER_JOBS["staff_access_purge"]["command"] == "staff_access_purge"


def test_tr2_the_account_page_says_who_consulted_the_data_at_a_fixed_cost(
    client: Client, django_assert_num_queries: Any
) -> None:
    """The member sees the role, what and when (never the staff member's name); the page stays at two queries."""
    member = UserFactory(username="alice", email="alice@example.org")
    staff = _staff("sue", roles.SUPPORT)
    assert log_in(client, "alice").status_code == 302
    client.get("/account/")
    with django_assert_num_queries(2):
        empty = client.get("/account/")

    services.record_staff_access(staff=staff, member=member, kind=StaffAccess.Kind.REQUEST_LOG)
    client.get("/account/")
    with django_assert_num_queries(2):
        page = client.get("/account/")
    english = client.get("/en/account/")

    assert "Personne de l'équipe n'a consulté vos données" in empty.content.decode()
    body = page.content.decode()
    assert "Qui a consulté mes données" in body
    assert "Support" in body and "Votre journal des requêtes" in body
    assert "sue" not in body
    assert "Who has looked at my data" in english.content.decode()
    assert "Your request log" in english.content.decode()


def test_tr2_the_data_export_lists_the_accesses_and_erasure_deletes_them(client: Client) -> None:
    member = UserFactory(username="alice", email="alice@example.org")
    staff = _staff("bob", roles.BILLING)
    services.record_staff_access(staff=staff, member=member, kind=StaffAccess.Kind.INVOICE, reference="2027-0001")
    assert log_in(client, "alice").status_code == 302

    response = csrf_post(client, "/account/data/", {"password": PASSWORD})
    document = json.loads(b"".join(response.streaming_content))

    accesses = document["sections"]["accounts"]["staff_accesses"]
    assert [(row["what"], row["reference"], row["by_role"]) for row in accesses] == [
        ("invoice", "2027-0001", "Facturation")
    ]
    assert "bob" not in json.dumps(accesses)

    services.account_erase(user=member, actor=member)

    assert not StaffAccess.objects.filter(member_id=member.pk).exists()


def test_tr2_only_administrators_read_the_record_in_the_staff_site(client: Client) -> None:
    member = UserFactory(username="alice")
    support = _staff("sue", roles.SUPPORT)
    services.record_staff_access(staff=support, member=member, kind=StaffAccess.Kind.PROFILE)
    admin = _staff("ada", roles.ADMINISTRATOR)
    access = StaffAccess.objects.get()

    as_support = _verified_client(support).get("/staff/accounts/staffaccess/")
    admin_client = _verified_client(admin)
    as_admin = admin_client.get("/staff/accounts/staffaccess/")
    detail = admin_client.get(f"/staff/accounts/staffaccess/{access.pk}/change/")
    delete = admin_client.get(f"/staff/accounts/staffaccess/{access.pk}/delete/")

    assert as_support.status_code == 403
    assert as_admin.status_code == 200 and "sue" in as_admin.content.decode()
    assert detail.status_code == 200 and 'name="kind"' not in detail.content.decode()  # read-only
    assert delete.status_code == 403
