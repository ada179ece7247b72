"""The member's access level is cached, and never outlives a change of their periods or account (LM-3, TM-4, TM-6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudmentor.accounts import services as accounts_services
from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.billing import selectors, services
from cloudmentor.billing.models import AccessLevel, Plan

from .factories import PlanFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@pytest.fixture
def member() -> User:
    return UserFactory(username="alice", email="alice@example.org")


@pytest.fixture
def pro() -> Plan:
    return PlanFactory(slug="pro-1", name="Pro 1 mois", price=Decimal("19.00"), duration_months=1)


def level_and_queries(member: User) -> tuple[AccessLevel, int]:
    with CaptureQueriesContext(connection) as captured:
        level = selectors.user_access_level(user=member)
    return level, len(captured)


def test_lm3_the_access_level_is_read_once_then_cached(member: User, pro: Plan) -> None:
    with time_machine.travel(T0, tick=False):
        services.subscription_purchase(holder=member, plan=pro, actor=member)
        assert level_and_queries(member) == (AccessLevel.PRO, 1)
        assert level_and_queries(member) == (AccessLevel.PRO, 0)


def test_lm3_a_member_whose_period_ends_loses_the_level_at_that_second_even_when_cached(
    member: User, pro: Plan
) -> None:
    with time_machine.travel(T0, tick=False):
        subscription = services.subscription_purchase(holder=member, plan=pro, actor=member)
    with time_machine.travel(subscription.ends_at - SECOND, tick=False):
        assert selectors.user_access_level(user=member) == AccessLevel.PRO
    with time_machine.travel(subscription.ends_at, tick=False):
        assert selectors.user_access_level(user=member) == AccessLevel.FREE


def test_lm3_a_period_bought_for_later_opens_at_its_start_even_when_free_was_cached(member: User) -> None:
    starts = T0 + timedelta(seconds=30)
    with time_machine.travel(T0, tick=False):
        services.subscription_grant(
            holder=member,
            access_level=AccessLevel.EXPERT,
            starts_at=starts,
            ends_at=starts + timedelta(days=1),
            actor=None,
            reason="",
        )
        assert selectors.user_access_level(user=member) == AccessLevel.FREE
    with time_machine.travel(starts, tick=False):
        assert selectors.user_access_level(user=member) == AccessLevel.EXPERT


def test_tm4_a_grant_shows_at_once_although_free_was_cached(member: User) -> None:
    with time_machine.travel(T0, tick=False):
        assert level_and_queries(member) == (AccessLevel.FREE, 1)
        assert level_and_queries(member)[1] == 0

        services.subscription_grant(
            holder=member,
            access_level=AccessLevel.EXPERT,
            starts_at=T0,
            ends_at=T0 + SECOND * 60,
            actor=None,
            reason="",
        )

        assert selectors.user_access_level(user=member) == AccessLevel.EXPERT


def test_tm8_an_extension_with_a_higher_plan_shows_when_the_current_period_ends(member: User, pro: Plan) -> None:
    expert = PlanFactory(slug="expert-1", name="Expert 1 mois", access_level=AccessLevel.EXPERT, duration_months=1)
    with time_machine.travel(T0, tick=False):
        services.subscription_purchase(holder=member, plan=pro, actor=member)
        assert selectors.user_access_level(user=member) == AccessLevel.PRO
    end = member.access_ends_at
    assert end is not None
    with time_machine.travel(end - SECOND, tick=False):
        services.subscription_extend(holder=member, plan=expert, actor=member)
        assert selectors.user_access_level(user=member) == AccessLevel.PRO  # the extension starts at the end
    with time_machine.travel(end, tick=False):
        assert selectors.user_access_level(user=member) == AccessLevel.EXPERT


def test_tm6_a_disabled_account_is_free_at_once(member: User, pro: Plan) -> None:
    with time_machine.travel(T0, tick=False):
        services.subscription_purchase(holder=member, plan=pro, actor=member)
        assert selectors.user_access_level(user=member) == AccessLevel.PRO

        accounts_services.user_disable(user=member, actor=None, reason="unpaid")

        assert selectors.user_access_level(user=User.objects.get(pk=member.pk)) == AccessLevel.FREE
