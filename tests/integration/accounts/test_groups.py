"""Group accounts (PV-1): owner, members, invitations by email, seats."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp

from cloudmentor.accounts import services
from cloudmentor.accounts.models import Group, GroupInvitation, GroupMembership, User
from cloudmentor.accounts.tests.conftest import csrf_post, submit
from cloudmentor.accounts.tests.factories import PASSWORD, StaffFactory, UserFactory
from conftest import log_in_client

pytestmark = pytest.mark.django_db

JOIN_LINK = re.compile(r"https?://\S+/groups/join/([0-9a-f]{64})/")


@pytest.fixture
def owner() -> User:
    return UserFactory(username="olga", email="olga@example.org")


@pytest.fixture
def group(owner: User) -> Group:
    group = services.group_create(owner=owner, name="Équipe Cloud")
    return services.group_set_seats(group=group, seats=3)


def _client(user: User) -> Client:
    return log_in_client(Client(enforce_csrf_checks=True), user)


def _invite(owner: User, email: str, captured: Any, client: Client | None = None) -> str:
    """Invite `email` from the group page; return the token of the link the email carries."""
    mail.outbox.clear()
    with captured(execute=True):
        response = csrf_post(client or _client(owner), "/account/group/", {"action": "invite", "email": email})
    assert response.status_code == 302, response.content.decode()[:2000]
    (message,) = mail.outbox
    assert message.to == [email]
    match = JOIN_LINK.search(message.body)
    assert match, message.body
    return match.group(1)


def test_pv1_the_owner_creates_a_group_and_is_its_first_member() -> None:
    """Creating a group from the group page makes its creator the owner and a member."""
    user = UserFactory(username="olga")
    client = _client(user)

    response = csrf_post(client, "/account/group/", {"action": "create", "name": "Équipe Cloud"})

    assert response.status_code == 302
    group = Group.objects.get()
    assert group.owner == user
    assert group.name == "Équipe Cloud"
    assert list(group.memberships.values_list("user__username", flat=True)) == ["olga"]
    assert "Équipe Cloud" in client.get("/account/group/").content.decode()


def test_pv1_invited_member_joins_with_one_confirming_post(
    owner: User, group: Group, django_capture_on_commit_callbacks: Any
) -> None:
    """The email link opens a confirmation page; one POST joins and uses the link up."""
    bob = UserFactory(username="bob", email="bob@example.org")
    token = _invite(owner, "bob@example.org", django_capture_on_commit_callbacks)
    invitation = GroupInvitation.objects.get()
    assert invitation.token_hash != token and token not in invitation.token_hash  # only a hash is kept
    bob_client = _client(bob)

    page = bob_client.get(f"/groups/join/{token}/")
    assert page.status_code == 200
    assert "Équipe Cloud" in page.content.decode()
    response = csrf_post(bob_client, f"/groups/join/{token}/", page=f"/groups/join/{token}/")

    assert response.status_code == 302
    assert GroupMembership.objects.get(user=bob).group == group
    invitation.refresh_from_db()
    assert invitation.accepted_by == bob
    assert "Équipe Cloud" in bob_client.get("/account/group/").content.decode()
    # Used: the link does not work twice.
    again = bob_client.get(f"/groups/join/{token}/")
    assert again.status_code == 404
    assert "pas valable" in again.content.decode()


def test_pv1_an_invited_visitor_registers_then_joins(
    owner: User, group: Group, django_capture_on_commit_callbacks: Any
) -> None:
    """A visitor follows the link to the registration form, which sends them back to join."""
    token = _invite(owner, "carla@example.org", django_capture_on_commit_callbacks)
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(f"/en/groups/join/{token}/")
    assert page.status_code == 200
    assert "Create an account" in page.content.decode()
    assert "csrfmiddlewaretoken" not in page.content.decode()  # no session for visitors

    register_url = f"/en/accounts/register/?next=/en/groups/join/{token}/"
    response = submit(
        visitor,
        register_url,
        {"username": "carla", "email": "carla@example.org", "password": PASSWORD, "accept_terms": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert response["Location"] == f"/en/groups/join/{token}/"
    joined = csrf_post(visitor, f"/en/groups/join/{token}/", page=f"/en/groups/join/{token}/")

    assert joined.status_code == 302
    assert GroupMembership.objects.get(user__username="carla").group == group


def test_pv1_expired_forged_and_revoked_links_change_nothing(
    owner: User, group: Group, django_capture_on_commit_callbacks: Any
) -> None:
    """An expired, revoked or forged token gets a clear message; nobody joins."""
    bob = UserFactory(username="bob", email="bob@example.org")
    token = _invite(owner, "bob@example.org", django_capture_on_commit_callbacks)
    bob_client = _client(bob)

    forged = bob_client.get("/groups/join/" + "0" * 64 + "/")
    assert forged.status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        expired = bob_client.get(f"/groups/join/{token}/")
        assert expired.status_code == 404
        assert "expiré" in expired.content.decode()
    invitation = GroupInvitation.objects.get()
    csrf_post(_client(owner), "/account/group/", {"action": "revoke", "invitation": invitation.pk})
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    revoked = bob_client.get(f"/groups/join/{token}/")

    assert revoked.status_code == 404
    assert not GroupMembership.objects.filter(user=bob).exists()


def test_pv1_seats_include_the_owner_and_are_never_exceeded(
    owner: User, group: Group, django_capture_on_commit_callbacks: Any
) -> None:
    """With 3 seats: the owner and two invitations fill the group; a third invitation is refused."""
    _invite(owner, "a@example.org", django_capture_on_commit_callbacks)
    _invite(owner, "b@example.org", django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = csrf_post(_client(owner), "/account/group/", {"action": "invite", "email": "c@example.org"})

    assert response.status_code == 400
    assert "nombre de places" in response.content.decode()
    assert GroupInvitation.objects.count() == 2
    assert mail.outbox == []


def test_pv1_joining_a_full_group_is_refused(
    owner: User, group: Group, django_capture_on_commit_callbacks: Any
) -> None:
    """Seats shrink after an invitation was sent: accepting it then is refused with a message."""
    bob = UserFactory(username="bob", email="bob@example.org")
    token = _invite(owner, "bob@example.org", django_capture_on_commit_callbacks)
    services.group_set_seats(group=group, seats=1)

    response = csrf_post(_client(bob), f"/groups/join/{token}/", page="/account/")

    assert response.status_code == 409
    assert "nombre de places" in response.content.decode()
    assert not GroupMembership.objects.filter(user=bob).exists()


def test_pv1_inviting_an_existing_member_or_twice_is_refused(
    owner: User, group: Group, django_capture_on_commit_callbacks: Any
) -> None:
    """Inviting someone already in the group, or with a pending invitation, sends nothing."""
    _invite(owner, "bob@example.org", django_capture_on_commit_callbacks)
    mail.outbox.clear()
    client = _client(owner)

    twice = csrf_post(client, "/account/group/", {"action": "invite", "email": "BOB@example.org"})
    member = csrf_post(client, "/account/group/", {"action": "invite", "email": "olga@example.org"})

    assert twice.status_code == 400 and "déjà en attente" in twice.content.decode()
    assert member.status_code == 400 and "fait déjà partie" in member.content.decode()
    assert GroupInvitation.objects.count() == 1
    assert mail.outbox == []


def test_pv1_a_link_for_another_address_is_refused(
    owner: User, group: Group, django_capture_on_commit_callbacks: Any
) -> None:
    """A link forwarded to someone else does not let them in."""
    token = _invite(owner, "bob@example.org", django_capture_on_commit_callbacks)
    eve = UserFactory(username="eve", email="eve@example.org")

    response = csrf_post(_client(eve), f"/groups/join/{token}/", page="/account/")

    assert response.status_code == 409
    assert "autre adresse" in response.content.decode()
    assert not GroupMembership.objects.filter(user=eve).exists()


def test_pv1_a_member_cannot_act_as_owner(owner: User, group: Group, django_capture_on_commit_callbacks: Any) -> None:
    """A member posting owner actions gets 403 with a message; nothing changes."""
    bob = UserFactory(username="bob", email="bob@example.org")
    token = _invite(owner, "bob@example.org", django_capture_on_commit_callbacks)
    services.group_join(user=bob, token=token)
    _invite(owner, "dan@example.org", django_capture_on_commit_callbacks)
    invitation = GroupInvitation.objects.get(email="dan@example.org")
    bob_client = _client(bob)
    mail.outbox.clear()

    invite = csrf_post(bob_client, "/account/group/", {"action": "invite", "email": "x@example.org"})
    revoke = csrf_post(bob_client, "/account/group/", {"action": "revoke", "invitation": invitation.pk})
    remove = csrf_post(bob_client, "/account/group/", {"action": "remove", "member": owner.pk})

    for response in (invite, revoke, remove):
        assert response.status_code == 403
        assert "Seul le propriétaire" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    assert group.memberships.count() == 2
    assert GroupInvitation.objects.count() == 2
    assert mail.outbox == []


def test_pv1_a_member_leaves_and_the_owner_removes(
    owner: User, group: Group, django_capture_on_commit_callbacks: Any
) -> None:
    """A member can leave; the owner removes another; the owner cannot leave their own group."""
    bob = UserFactory(username="bob", email="bob@example.org")
    dan = UserFactory(username="dan", email="dan@example.org")
    services.group_join(user=bob, token=_invite(owner, "bob@example.org", django_capture_on_commit_callbacks))
    services.group_join(user=dan, token=_invite(owner, "dan@example.org", django_capture_on_commit_callbacks))

    csrf_post(_client(bob), "/account/group/", {"action": "leave"})
    csrf_post(_client(owner), "/account/group/", {"action": "remove", "member": dan.pk})
    owner_leaves = csrf_post(_client(owner), "/account/group/", {"action": "leave"})

    assert list(group.memberships.values_list("user__username", flat=True)) == ["olga"]
    assert owner_leaves.status_code == 400


def test_pv1_a_person_belongs_to_one_group_at_most(
    owner: User, group: Group, django_capture_on_commit_callbacks: Any
) -> None:
    """The owner of another group cannot join a second one."""
    other = UserFactory(username="otto", email="otto@example.org")
    services.group_create(owner=other, name="Autre")
    token = _invite(owner, "otto@example.org", django_capture_on_commit_callbacks)

    response = csrf_post(_client(other), f"/groups/join/{token}/", page="/account/")

    assert response.status_code == 409
    assert GroupMembership.objects.get(user=other).group.name == "Autre"


def test_pv1_group_pages_in_english(owner: User, group: Group) -> None:
    """The owner's page reads in English under /en/."""
    page = _client(owner).get("/en/account/group/").content.decode()

    assert "My group" in page
    assert "Invite a member" in page


def test_pv1_the_join_link_is_redacted_from_the_request_log() -> None:
    """The request log never keeps an invitation token (analytics' redaction rules)."""
    from cloudmentor.core.redaction import redact_path, redact_query

    for _ in range(50):  # tokens are random: any of them, hex digits only, is caught
        token = secrets.token_hex(32)
        assert token not in redact_path(f"/groups/join/{token}/")
        assert token not in redact_path(f"/en/groups/join/{token}/")
        assert token not in redact_query(f"next=/en/groups/join/{token}/")
        assert token not in redact_query(f"next=%2Fen%2Fgroups%2Fjoin%2F{token}%2F")


# Personal data (PV-9, PV-10) --------------------------------------------------------------


def test_pv1_the_export_has_the_group_and_the_invitations_sent(
    owner: User, group: Group, django_capture_on_commit_callbacks: Any
) -> None:
    from cloudmentor.accounts.group_personal_data import groups_export
    from cloudmentor.core.personal_data import Subject

    bob = UserFactory(username="bob", email="bob@example.org")
    services.group_join(user=bob, token=_invite(owner, "bob@example.org", django_capture_on_commit_callbacks))
    _invite(owner, "dan@example.org", django_capture_on_commit_callbacks)

    mine = groups_export(Subject.of(owner))
    his = groups_export(Subject.of(bob))

    assert mine["group"]["role"] == "owner"
    assert [row["username"] for row in mine["group"]["members"]] == ["olga", "bob"]
    assert sorted(row["email"] for row in mine["invitations_sent"]) == ["bob@example.org", "dan@example.org"]
    assert his["group"] == {
        "name": "Équipe Cloud",
        "role": "member",
        "owner": "olga",
        "created_at": group.created_at,
        "joined_at": GroupMembership.objects.get(user=bob).joined_at,
        "seats": 3,
    }
    assert his["invitations_sent"] == []
    assert [row["email"] for row in his["invitations_received"]] == ["bob@example.org"]


def test_pv1_erasing_a_member_takes_them_out_of_the_group(
    owner: User, group: Group, django_capture_on_commit_callbacks: Any
) -> None:
    bob = UserFactory(username="bob", email="bob@example.org")
    services.group_join(user=bob, token=_invite(owner, "bob@example.org", django_capture_on_commit_callbacks))

    with django_capture_on_commit_callbacks(execute=True):
        services.account_erase(user=bob, actor=bob)

    assert list(group.memberships.values_list("user__username", flat=True)) == ["olga"]
    assert not GroupInvitation.objects.filter(email__iexact="bob@example.org").exists()


def test_pv10_an_owner_with_members_is_told_the_group_ends_and_erasing_ends_it(
    owner: User, group: Group, django_capture_on_commit_callbacks: Any
) -> None:
    """The erasure page says what happens to the group; erasing takes the members out and tells them (decision 0107)."""
    bob = UserFactory(username="bob", email="bob@example.org")
    services.group_join(user=bob, token=_invite(owner, "bob@example.org", django_capture_on_commit_callbacks))
    client = _client(owner)

    page = client.get("/account/delete/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = csrf_post(
            client, "/account/delete/", {"password": PASSWORD, "confirmation": "EFFACER"}, page="/account/"
        )

    assert "prévenus par e-mail" in page
    assert response.status_code == 200
    owner.refresh_from_db()
    assert owner.erased_at is not None
    group.refresh_from_db()
    assert group.name == f"#{group.pk}"
    assert not group.memberships.exists()
    assert not GroupInvitation.objects.exists()
    assert [email.subject for email in mail.outbox if email.to == ["bob@example.org"]][-1] == "Votre groupe a pris fin"


# Staff (PV-1) -----------------------------------------------------------------------------


@pytest.fixture
def staff_client() -> Client:
    staff = StaffFactory(username="root", email="root@cloudmentor.example")
    device = services.staff_totp_device_create(user=staff)
    client = log_in_client(Client(), staff)
    code = f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"
    assert client.post("/accounts/staff/verify/", {"token": code, "next": "/staff/"}).status_code == 302
    return client


def test_pv1_staff_find_a_group_by_member_and_see_its_members_and_subscription(
    owner: User, group: Group, staff_client: Client
) -> None:
    bob = UserFactory(username="bobby", email="bobby@example.org")
    GroupMembership.objects.create(group=group, user=bob)

    found = staff_client.get("/staff/accounts/group/?q=bobby")
    detail = staff_client.get(f"/staff/accounts/group/{group.pk}/change/")

    assert found.status_code == 200 and "Équipe Cloud" in found.content.decode()
    page = detail.content.decode()
    assert "bobby" in page and "olga" in page
    assert f"/staff/billing/customer/?group__id__exact={group.pk}" in page
    customers = staff_client.get(f"/staff/billing/customer/?group__id__exact={group.pk}")
    assert customers.status_code == 200


def test_pv1_the_owners_group_page_costs_the_same_queries_whatever_its_size(
    owner: User, group: Group, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    services.group_set_seats(group=group, seats=30)
    client = _client(owner)
    client.get("/account/group/")
    with CaptureQueriesContext(connection) as small:
        client.get("/account/group/")
    for n in range(6):
        member = UserFactory(username=f"m{n}", email=f"m{n}@example.org")
        GroupMembership.objects.create(group=group, user=member)
        _invite(owner, f"x{n}@example.org", django_capture_on_commit_callbacks, client)
    client.get("/account/group/")
    with CaptureQueriesContext(connection) as large:
        page = client.get("/account/group/").content.decode()

    assert "m5" in page and "x5@example.org" in page
    assert len(large) == len(small), [query["sql"] for query in large]


def test_tm2_staff_see_a_groups_registration_history_as_its_owners(owner: User, staff_client: Client) -> None:
    from decimal import Decimal

    from cloudmentor.billing.models import Customer, Plan
    from cloudmentor.billing.services import group_subscription_buy
    from cloudmentor.billing.tests.factories import PlanFactory

    plan = PlanFactory(name="Équipe 5", kind=Plan.Kind.GROUP, seats=5, price=Decimal("99.00"))
    group_subscription_buy(owner=owner, plan=plan)
    customer = Customer.objects.get(group__owner=owner)

    page = staff_client.get(f"/staff/billing/customer/{customer.pk}/history/").content.decode()

    assert "Équipe 5" in page
