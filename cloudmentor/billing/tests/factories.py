from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.billing.models import AccessLevel, Customer, Invoice, Plan, Subscription
from cloudmentor.billing.periods import add_months


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    slug = factory.Sequence(lambda n: f"plan-{n}")
    name = factory.Sequence(lambda n: f"Pro {n}")
    name_en = factory.LazyAttribute(lambda plan: f"{plan.name} (en)")
    description = "Tous les cours Pro"
    kind = Plan.Kind.INDIVIDUAL
    duration_months = 3
    price = Decimal("49.00")
    currency = "EUR"
    access_level = AccessLevel.PRO
    is_purchasable = True


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    user = factory.SubFactory(UserFactory)
    kind = Customer.Kind.INDIVIDUAL


class SubscriptionFactory(factory.django.DjangoModelFactory):
    """A running purchased period (no invoice: use the services for the whole flow)."""

    class Meta:
        model = Subscription

    customer = factory.SubFactory(CustomerFactory)
    plan = factory.SubFactory(PlanFactory)
    access_level = factory.LazyAttribute(lambda sub: sub.plan.access_level)
    price = factory.LazyAttribute(lambda sub: sub.plan.price)
    currency = factory.LazyAttribute(lambda sub: sub.plan.currency)
    starts_at = factory.LazyFunction(timezone.now)
    ends_at = factory.LazyAttribute(lambda sub: add_months(sub.starts_at, sub.plan.duration_months))
    source = Subscription.Source.PURCHASE


class InvoiceFactory(factory.django.DjangoModelFactory):
    """A draft invoice of a subscription, due to be issued now."""

    class Meta:
        model = Invoice

    subscription = factory.SubFactory(SubscriptionFactory)
    customer = factory.LazyAttribute(lambda invoice: invoice.subscription.customer)
    amount_total = factory.LazyAttribute(lambda invoice: invoice.subscription.price)
    currency = factory.LazyAttribute(lambda invoice: invoice.subscription.currency)
    period_starts_at = factory.LazyAttribute(lambda invoice: invoice.subscription.starts_at)
    period_ends_at = factory.LazyAttribute(lambda invoice: invoice.subscription.ends_at)
    scheduled_at = factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=1))
    status = Invoice.Status.DRAFT
