"""The demo's billing: the plans on sale and paid periods for the demo member and the demo group owner.

Everything goes through billing's services, so the demo's invoices, payments and history
rows are those a real member would get; nothing is emailed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from cloudmentor.accounts.models import Group
from cloudmentor.accounts.selectors import user_by_identifier
from cloudmentor.billing.models import Plan, Subscription
from cloudmentor.billing.services import (
    group_subscription_buy,
    invoice_record_payment,
    subscription_invoice_issue_now,
    subscription_purchase,
)


@transaction.atomic
def _demo_period_paid(subscription: Subscription) -> Subscription:
    """Issue the demo period's invoice now and record its (bank transfer) payment, without email."""
    invoice = subscription_invoice_issue_now(subscription=subscription, notify=False)
    if invoice is not None:
        invoice_record_payment(
            invoice=invoice,
            amount=invoice.amount_total,
            currency=invoice.currency,
            reference=f"DEMO-{invoice.number}",
            actor=None,
            notify=False,
        )
    return subscription


def demo_subscription_paid(*, username: str, plan_slug: str) -> Subscription | None:
    """Give a demo member one paid period of a plan, once: purchase, invoice issued, transfer recorded.

    Does nothing when the member or the plan is missing or the member already has a period,
    so that loading the demo twice changes nothing. Sends no email.
    """
    user = user_by_identifier(username)
    plan = Plan.objects.filter(slug=plan_slug).first()
    if user is None or plan is None or Subscription.objects.filter(customer__user=user).exists():
        return None
    subscription = subscription_purchase(holder=user, plan=plan, actor=user)
    return _demo_period_paid(subscription)


def demo_group_paid(*, owner_username: str, plan_slug: str, group_name: str) -> Subscription | None:
    """Give a demo owner a group with one paid period of a group plan, once (PV-1, TM-2).

    Does nothing when the owner or the plan is missing or the owner already has a group.
    Sends no email.
    """
    owner = user_by_identifier(owner_username)
    plan = Plan.objects.filter(slug=plan_slug, kind=Plan.Kind.GROUP).first()
    if owner is None or plan is None or Group.objects.filter(owner=owner).exists():
        return None
    subscription = group_subscription_buy(owner=owner, plan=plan, group_name=group_name)
    return _demo_period_paid(subscription)


def plans_seed(*, plans: Iterable[Mapping[str, Any]]) -> list[Plan]:
    """Create the plans that do not exist yet (by slug); existing ones are left as staff set them."""
    created = []
    for values in plans:
        plan, was_created = Plan.objects.get_or_create(slug=values["slug"], defaults=dict(values))
        if was_created:
            created.append(plan)
    return created
