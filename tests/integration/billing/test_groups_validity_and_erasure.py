"""Groups between requirements (decision 0107): the account cookie follows the group's paid-up date (CK-4);
erasing a group owner ends the group cleanly, invoices nothing afterwards and tells its members (PV-10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import Group, GroupMembership, User
from cloudmentor.accounts.tests.conftest import log_in
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.billing import selectors, services
from cloudmentor.billing.models import AccessLevel, Invoice, Plan
from cloudmentor.billing.periods import add_months
from cloudmentor.billing.tests.factories import PlanFactory
from conftest import csrf_post

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
DAY = 86400


@pytest.fixture
def team_plan() -> Plan:
    return PlanFactory(
        slug="team-5",
        name="Équipe 5",
        kind=Plan.Kind.GROUP,
        seats=5,
        price=Decimal("199.00"),
        duration_months=12,
        access_level=AccessLevel.EXPERT,
    )


@pytest.fixture
def owner() -> User:
    return UserFactory(username="olga", email="olga@example.org")


def _group_with_member(owner: User, plan: Plan) -> tuple[Group, User]:
    with time_machine.travel(T0, tick=False):
        services.group_subscription_buy(owner=owner, plan=plan)
    group = Group.objects.get(owner=owner)
    bob = UserFactory(username="bob", email="bob@example.org", language="en")
    GroupMembership.objects.create(group=group, user=bob)
    accounts_services.group_members_changed(group=group)
    return group, bob


def _cookie_seconds(response: Any) -> int:
    (name,) = [name for name in response.cookies if name.endswith("cm_account")]
    return int(response.cookies[name]["max-age"])


# CK-4 ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["olga", "bob"])
def test_ck4_the_owners_and_members_account_cookie_lives_until_the_groups_paid_up_date(
    owner: User, team_plan: Plan, who: str
) -> None:
    """Like an individual's subscription, not the 30-day cap of an account without an end date."""
    _group_with_member(owner, team_plan)

    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        response = log_in(Client(), who)

    assert response.status_code == 302
    assert _cookie_seconds(response) == int((add_months(T0, 12) - (T0 + timedelta(days=1))).total_seconds())


def test_ck4_an_open_session_follows_when_the_owner_extends_the_group(owner: User, team_plan: Plan) -> None:
    """The member's next page re-sets the cookie until the group's new end."""
    _group_with_member(owner, team_plan)
    client = Client()
    now = T0 + timedelta(days=1)
    with time_machine.travel(now, tick=False):
        log_in(client, "bob")
        services.group_subscription_buy(owner=owner, plan=team_plan)

        response = client.get("/account/")

    assert _cookie_seconds(response) == int((add_months(T0, 24) - now).total_seconds())


def test_ck4_a_member_who_leaves_the_group_gets_the_cap_again(owner: User, team_plan: Plan) -> None:
    _group_with_member(owner, team_plan)
    client = Client()
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        log_in(client, "bob")
        csrf_post(client, "/account/group/", {"action": "leave"}, page="/account/group/")

        response = client.get("/account/")

    assert _cookie_seconds(response) == 30 * DAY


# PV-10 ---------------------------------------------------------------------------------------------------


def test_pv10_erasing_a_group_owner_ends_the_group_and_tells_its_members(
    owner: User, team_plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """The members leave the group, lose its level at once, and are told by email in their language."""
    group, bob = _group_with_member(owner, team_plan)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        assert selectors.user_access_level(user=bob) == AccessLevel.EXPERT

        with django_capture_on_commit_callbacks(execute=True):
            accounts_services.account_erase(user=owner, actor=owner)

        assert selectors.user_access_level(user=User.objects.get(pk=bob.pk)) == AccessLevel.FREE
    assert not GroupMembership.objects.filter(group=group).exists()
    group.refresh_from_db()
    assert group.access_ends_at is None
    (told,) = [email for email in mail.outbox if email.to == ["bob@example.org"]]
    assert "group" in told.subject.lower()
    assert "olga" not in told.body  # the erased owner's name is not repeated


def test_pv10_no_invoice_is_issued_for_the_group_after_its_owners_erasure(
    owner: User, team_plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """The group's invoice not issued yet is dropped: the billing run finds nothing to issue or to remind."""
    _group_with_member(owner, team_plan)
    assert Invoice.objects.get().status == Invoice.Status.DRAFT
    with time_machine.travel(T0 + timedelta(hours=1), tick=False), django_capture_on_commit_callbacks(execute=True):
        accounts_services.account_erase(user=owner, actor=owner)
    mail.outbox.clear()

    with time_machine.travel(T0 + timedelta(days=30), tick=False), django_capture_on_commit_callbacks(execute=True):
        services.billing_run()

    assert not Invoice.objects.exists()
    assert mail.outbox == []
