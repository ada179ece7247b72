"""Group plans (PV-1, TM-2): the owner buys for the group; members get its level; the owner is the subscriber."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import AccountEvent, Group, GroupMembership, User
from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.billing import selectors, services
from cloudmentor.billing.exceptions import GroupTooLargeForPlan, NotTheGroupOwner, PlanNotAvailable
from cloudmentor.billing.models import AccessLevel, Customer, Invoice, Plan, Subscription
from conftest import csrf_post, log_in_client

from .factories import PlanFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def owner() -> User:
    return UserFactory(username="olga", email="olga@example.org")


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


def _member_of(group: Group, username: str) -> User:
    user = UserFactory(username=username, email=f"{username}@example.org")
    GroupMembership.objects.create(group=group, user=user)
    accounts_services.group_members_changed(group=group)
    return user


def _buy(owner: User, plan: Plan, at: datetime = T0) -> Subscription:
    with time_machine.travel(at, tick=False):
        return services.group_subscription_buy(owner=owner, plan=plan)


def test_tm2_the_owner_buys_a_group_plan_and_the_group_holds_it(owner: User, team_plan: Plan) -> None:
    """Buying a group plan creates the owner's group; its customer holds the period; seats follow the plan."""
    subscription = _buy(owner, team_plan)

    group = Group.objects.get(owner=owner)
    assert subscription.customer.group == group
    assert subscription.customer.kind == Customer.Kind.GROUP
    assert subscription.customer.user is None
    assert group.seats == 5
    assert Invoice.objects.get().customer == subscription.customer
    # The owner's own account holds nothing: the group does.
    assert not Subscription.objects.filter(customer__user=owner).exists()


def test_pv1_members_get_the_best_of_their_own_level_and_their_groups(owner: User, team_plan: Plan) -> None:
    """A member's access level is the best of their own periods and their group's."""
    _buy(owner, team_plan)
    group = Group.objects.get(owner=owner)
    essential = PlanFactory(access_level=AccessLevel.ESSENTIAL, price=Decimal("9.00"))
    bob = UserFactory(username="bob", email="bob@example.org")
    with time_machine.travel(T0, tick=False):
        services.subscription_purchase(holder=bob, plan=essential, actor=bob)

    with time_machine.travel(T0 + SECOND, tick=False):
        assert selectors.user_access_level(user=bob) == AccessLevel.ESSENTIAL
        GroupMembership.objects.create(group=group, user=bob)
        accounts_services.group_members_changed(group=group)
        assert selectors.user_access_level(user=bob) == AccessLevel.EXPERT
        assert selectors.user_access_level(user=owner) == AccessLevel.EXPERT
        accounts_services.group_leave(user=bob)
        assert selectors.user_access_level(user=bob) == AccessLevel.ESSENTIAL


def test_pv1_a_members_cached_level_follows_the_groups_purchase_without_extra_queries(
    owner: User, team_plan: Plan
) -> None:
    """The level stays one query then none; the group's purchase makes members' cached levels stale."""
    group = accounts_services.group_create(owner=owner, name="Équipe")
    bob = _member_of(group, "bob")
    with time_machine.travel(T0, tick=False):
        with CaptureQueriesContext(connection) as first:
            assert selectors.user_access_level(user=bob) == AccessLevel.FREE
        with CaptureQueriesContext(connection) as cached:
            assert selectors.user_access_level(user=bob) == AccessLevel.FREE
    assert (len(first), len(cached)) == (1, 0)

    _buy(owner, team_plan)

    with time_machine.travel(T0 + SECOND, tick=False):
        assert selectors.user_access_level(user=bob) == AccessLevel.EXPERT


def test_tm6_an_unpaid_group_invoice_disables_the_owner_and_members_lose_the_groups_level(
    owner: User, team_plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    """Invoice emailed to the owner; past its deadline the owner is disabled and members drop to their own level."""
    _buy(owner, team_plan)
    group = Group.objects.get(owner=owner)
    bob = _member_of(group, "bob")
    with time_machine.travel(T0 + timedelta(days=3), tick=False), django_capture_on_commit_callbacks(execute=True):
        services.billing_run()
    invoice = Invoice.objects.get()
    assert [message.to for message in mail.outbox] == [["olga@example.org"]]
    assert invoice.buyer["email"] == "olga@example.org"
    assert invoice.buyer["name"] == group.name
    with time_machine.travel(invoice.due_at - SECOND, tick=False):
        assert selectors.user_access_level(user=bob) == AccessLevel.EXPERT
    mail.outbox.clear()

    with time_machine.travel(invoice.due_at + SECOND, tick=False), django_capture_on_commit_callbacks(execute=True):
        report = services.billing_run()
        bob.refresh_from_db()
        assert selectors.user_access_level(user=bob) == AccessLevel.FREE

    owner.refresh_from_db()
    assert report.disabled == 1
    assert not owner.is_active
    assert bob.is_active  # members are not disabled: they lose the group's level only
    assert AccountEvent.objects.filter(user=owner, kind=AccountEvent.Kind.DISABLED).exists()
    assert mail.outbox == []
    # Staff re-enable the owner: the group's level comes back for its members at once.
    with time_machine.travel(invoice.due_at + 2 * SECOND, tick=False):
        accounts_services.user_enable(user=owner, actor=StaffFactory(), reason="payé")
        assert selectors.user_access_level(user=bob) == AccessLevel.EXPERT


def test_tm8_the_owner_extends_the_group_plan_from_its_end(owner: User, team_plan: Plan) -> None:
    """A second purchase by the owner starts where the group's period ends."""
    first = _buy(owner, team_plan)

    second = _buy(owner, team_plan, at=T0 + timedelta(days=10))

    assert second.starts_at == first.ends_at
    assert second.source == Subscription.Source.EXTENSION
    assert second.customer == first.customer


def test_tm2_a_member_can_never_buy_the_groups_plan(owner: User, team_plan: Plan) -> None:
    """A member of someone's group is refused (403, message) and nothing is bought."""
    _buy(owner, team_plan)
    bob = _member_of(Group.objects.get(owner=owner), "bob")
    client = log_in_client(Client(enforce_csrf_checks=True), bob)

    page = client.get("/plans/team-5/group/")
    response = csrf_post(client, "/plans/team-5/group/", page="/account/")

    assert page.status_code == 403
    assert response.status_code == 403
    assert "Seul le propriétaire" in response.content.decode()
    assert Subscription.objects.count() == 1
    with pytest.raises(NotTheGroupOwner):
        services.group_subscription_buy(owner=bob, plan=team_plan)


def test_pv1_a_plan_with_fewer_seats_than_members_is_refused(owner: User) -> None:
    group = accounts_services.group_create(owner=owner, name="Équipe")
    _member_of(group, "bob")
    _member_of(group, "carl")
    duo = PlanFactory(kind=Plan.Kind.GROUP, seats=2, price=Decimal("50.00"))

    with pytest.raises(GroupTooLargeForPlan):
        services.group_subscription_buy(owner=owner, plan=duo)
    assert not Subscription.objects.exists()


def test_pv1_an_individual_plan_is_not_sold_as_a_group_plan(owner: User) -> None:
    with pytest.raises(PlanNotAvailable):
        services.group_subscription_buy(owner=owner, plan=PlanFactory())


def test_tm2_the_owner_buys_from_the_group_plan_page_in_both_languages(owner: User, team_plan: Plan) -> None:
    """/plans/ lists group plans with a button; its page buys for the owner's group and sends them to it."""
    client = log_in_client(Client(enforce_csrf_checks=True), owner)
    plans_fr = client.get("/plans/").content.decode()
    plans_en = client.get("/en/plans/").content.decode()
    page_en = client.get("/en/plans/team-5/group/")

    response = csrf_post(client, "/plans/team-5/group/", {"consent": "on"}, page="/account/")

    assert "/plans/team-5/group/" in plans_fr and "Choisir pour mon groupe" in plans_fr
    assert "Choose for my group" in plans_en
    assert "Place order with obligation to pay" in page_en.content.decode()
    assert response.status_code == 302 and response["Location"] == "/account/group/"
    assert Subscription.objects.get().customer.group == Group.objects.get(owner=owner)
    # The owner sees the group's invoices and periods on their billing page.
    assert "Équipe 5" in client.get("/account/billing/").content.decode()


def test_tm2_the_owner_sees_and_members_cannot_see_the_groups_invoice(
    owner: User, team_plan: Plan, django_capture_on_commit_callbacks: Any
) -> None:
    _buy(owner, team_plan)
    bob = _member_of(Group.objects.get(owner=owner), "bob")
    with time_machine.travel(T0 + timedelta(days=3), tick=False), django_capture_on_commit_callbacks(execute=True):
        services.billing_run()
    invoice = Invoice.objects.get()

    owner_view = log_in_client(Client(), owner).get(f"/account/billing/invoices/{invoice.pk}/")
    member_view = log_in_client(Client(), bob).get(f"/account/billing/invoices/{invoice.pk}/")

    assert owner_view.status_code == 200
    assert member_view.status_code == 403


def test_pv1_the_access_level_query_finds_both_customers_by_index(owner: User, team_plan: Plan) -> None:
    """Own and group periods are found through indexes, never by scanning every subscription."""
    if connection.vendor != "sqlite":
        pytest.skip("EXPLAIN QUERY PLAN is SQLite's; PostgreSQL's plan depends on table statistics")
    _buy(owner, team_plan)
    bob = _member_of(Group.objects.get(owner=owner), "bob")
    with CaptureQueriesContext(connection) as captured:
        selectors.user_access_level(user=bob)
    (query,) = captured.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
        plan = " / ".join(str(row[3]) for row in cursor.fetchall())

    assert "SCAN" not in plan, plan
    assert "billing_sub_customer_end_idx" in plan
