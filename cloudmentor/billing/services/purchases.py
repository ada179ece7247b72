"""Purchases, extensions, grants and staff changes of periods (TM-4, TM-6, TM-8)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction

from cloudmentor.accounts.exceptions import YouAreInAGroup
from cloudmentor.accounts.models import User
from cloudmentor.accounts.selectors import group_member_ids
from cloudmentor.accounts.services import credentials_check, group_for_owner, group_set_seats, user_register

from .. import events
from ..exceptions import AccountDisabled, ChangeNotAllowed, GroupTooLargeForPlan, NotTheGroupOwner, PlanNotAvailable
from ..models import AccessLevel, Customer, Plan, Subscription
from ..periods import add_months
from ._common import _now
from .consents import Consent, consent_record
from .customers import _access_end_sync, _customer_locked, _validity_end, customer_for_group
from .invoicing import _invoice_draft, _invoices_issue


def _subscription_add(*, holder: User, plan: Plan, actor: User | None, consent: Consent | None = None) -> Subscription:
    if not holder.is_active:
        raise AccountDisabled
    if not plan.is_purchasable:
        raise PlanNotAvailable
    customer = _customer_locked(user=holder)
    if plan.kind != customer.kind:
        raise PlanNotAvailable
    subscription = _period_append(customer=customer, plan=plan, actor=actor)
    if consent is not None:
        consent_record(subscription=subscription, consent=consent, contact=holder)
    _access_end_sync(customer, holder=holder)
    return subscription


def _period_append(*, customer: Customer, plan: Plan, actor: User | None) -> Subscription:
    """Append one period of `plan` at the customer's validity end (or now), with its history row and invoice."""
    now = _now()
    current_end = _validity_end(customer)
    is_extension = current_end is not None
    starts_at = max(now, current_end) if current_end is not None else now
    subscription = Subscription.objects.create(
        customer=customer,
        plan=plan,
        access_level=plan.access_level,
        price=plan.price,
        currency=plan.currency,
        starts_at=starts_at,
        ends_at=add_months(starts_at, plan.duration_months),
        source=Subscription.Source.EXTENSION if is_extension else Subscription.Source.PURCHASE,
        created_by=actor,
        created_at=now,
    )
    if is_extension:
        events.subscription_extended(subscription=subscription, actor=actor)
    else:
        events.subscription_purchased(subscription=subscription, actor=actor)
    if subscription.price > 0:
        _invoice_draft(subscription=subscription, amount=subscription.price, now=now)
    return subscription


@transaction.atomic
def subscription_purchase(
    *, holder: User, plan: Plan, actor: User | None = None, consent: Consent | None = None
) -> Subscription:
    """Give a new account its first period of `plan`, usable at once (TM-6).

    A paid plan gets a draft invoice that the billing run issues
    ``BILLING_INVOICE_DELAY_DAYS`` later; a free plan gets none. With the buyer's `consent`
    (the checkout, BZ-2), it is recorded with the period and the order confirmed by email.
    """
    return _subscription_add(holder=holder, plan=plan, actor=actor, consent=consent)


@transaction.atomic
def subscription_extend(
    *, holder: User, plan: Plan, actor: User | None = None, consent: Consent | None = None
) -> Subscription:
    """Append one period of `plan` after the holder's validity end, or from now if it has passed (TM-8).

    The caller has proven that the holder is the person asking (logged in, or password).
    With the buyer's `consent` (BZ-2), it is recorded and the order confirmed by email.
    """
    return _subscription_add(holder=holder, plan=plan, actor=actor, consent=consent)


@transaction.atomic
def group_subscription_buy(
    *, owner: User, plan: Plan, group_name: str = "", consent: Consent | None = None
) -> Subscription:
    """Buy (or extend, TM-8) a group plan for the group `owner` owns, created if needed (PV-1, TM-2).

    The group's customer holds the period; invoices go to the owner. The group's seats
    become the plan's. Only the owner buys: a member of someone else's group is refused,
    and so is a plan with fewer seats than the group has members.
    """
    if not owner.is_active:
        raise AccountDisabled
    if not plan.is_purchasable or plan.kind != Plan.Kind.GROUP or not plan.seats:
        raise PlanNotAvailable
    try:
        group = group_for_owner(owner=owner, name=group_name)
    except YouAreInAGroup as error:
        raise NotTheGroupOwner from error
    customer = customer_for_group(group=group)
    customer = Customer.objects.select_for_update(of=("self",)).select_related("group").get(pk=customer.pk)
    if len(group_member_ids(group_id=group.pk)) > plan.seats:
        raise GroupTooLargeForPlan
    subscription = _period_append(customer=customer, plan=plan, actor=owner)
    if consent is not None:
        consent_record(subscription=subscription, consent=consent, contact=owner)
    group_set_seats(group=group, seats=plan.seats)
    _access_end_sync(customer)
    return subscription


@transaction.atomic
def member_register_with_plan(
    *,
    plan: Plan,
    username: str,
    email: str,
    password: str,
    terms_version: int | None,
    newsletter_opt_in: bool,
    language: str,
    ip: str | None = None,
    user_agent: str = "",
    consent: Consent | None = None,
) -> tuple[User, Subscription]:
    """Create the member account and its first period together (one transaction).

    Raises accounts' EmailTaken / UsernameTaken, or PlanNotAvailable.
    """
    if not plan.is_purchasable or plan.kind != Plan.Kind.INDIVIDUAL:
        raise PlanNotAvailable
    user = user_register(
        username=username,
        email=email,
        password=password,
        terms_version=terms_version,
        newsletter_opt_in=newsletter_opt_in,
        language=language,
        ip=ip,
        user_agent=user_agent,
    )
    subscription = subscription_purchase(holder=user, plan=plan, actor=user, consent=consent)
    return user, subscription


@transaction.atomic
def subscription_extend_with_password(
    *,
    plan: Plan,
    email: str,
    password: str,
    ip: str | None = None,
    user_agent: str = "",
    consent: Consent | None = None,
) -> tuple[User, Subscription]:
    """Extend the account `email` names, its password proving it is the asker's (TM-8).

    Raises accounts' InvalidCredentials, or accounts' AccountDisabled for a disabled
    account (which gets the "contact support" message and nothing else).
    """
    user = credentials_check(identifier=email, password=password, ip=ip, user_agent=user_agent)
    subscription = subscription_extend(holder=user, plan=plan, actor=user, consent=consent)
    return user, subscription


@transaction.atomic
def subscription_grant(
    *,
    holder: User,
    access_level: int,
    starts_at: datetime,
    ends_at: datetime,
    actor: User | None,
    reason: str,
) -> Subscription:
    """Give a member free access at any level for a period: no price, no invoice, recorded (TM-4)."""
    if ends_at <= starts_at:
        raise ChangeNotAllowed
    customer = _customer_locked(user=holder)
    subscription = Subscription.objects.create(
        customer=customer,
        plan=None,
        access_level=AccessLevel(access_level),
        price=Decimal("0.00"),
        currency="EUR",
        starts_at=starts_at,
        ends_at=ends_at,
        source=Subscription.Source.GRANT,
        reason=reason,
        created_by=actor,
    )
    events.subscription_granted(subscription=subscription, actor=actor)
    _access_end_sync(customer, holder=holder)
    return subscription


@transaction.atomic
def subscription_change_duration(
    *, subscription: Subscription, plan: Plan, actor: User | None, reason: str, invoice_difference: bool
) -> Subscription:
    """Move a running subscription to a longer plan of the same kind, at staff's hands (TM-8).

    The bought period is never rewritten (its price is fixed, TM-7): the extra months are
    a new period of `plan`, appended at the validity end, linked to the subscription it
    lengthens. With `invoice_difference`, that period costs the difference between
    `plan`'s current price and the price paid, invoiced at once; otherwise it is free.
    """
    customer = Customer.objects.select_for_update(of=("self",)).select_related("user").get(pk=subscription.customer_id)
    old_plan = subscription.plan
    now = _now()
    if (
        old_plan is None
        or subscription.source == Subscription.Source.GRANT
        or subscription.ends_at <= now
        or plan.kind != old_plan.kind
        or plan.duration_months <= old_plan.duration_months
        or (invoice_difference and plan.currency != subscription.currency)
    ):
        raise ChangeNotAllowed
    extra_months = plan.duration_months - old_plan.duration_months
    starts_at = _validity_end(customer) or subscription.ends_at
    difference = max(plan.price - subscription.price, Decimal("0.00")) if invoice_difference else Decimal("0.00")
    added = Subscription.objects.create(
        customer=customer,
        plan=plan,
        access_level=plan.access_level,
        price=difference,
        currency=subscription.currency,
        starts_at=starts_at,
        ends_at=add_months(starts_at, extra_months),
        source=Subscription.Source.STAFF_CHANGE,
        changed_from=subscription,
        reason=reason,
        created_by=actor,
        created_at=now,
    )
    detail = f"{old_plan.name} → {plan.name} (+{extra_months}) {reason}".strip()
    events.subscription_changed(subscription=added, actor=actor, detail=detail)
    _access_end_sync(customer)
    if difference > 0:
        invoice = _invoice_draft(subscription=added, amount=difference, now=now, scheduled_at=now)
        _invoices_issue([invoice], now=now)
    return added
