"""Billing customers (a member or a group) and the account's validity end their periods give."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max

from cloudmentor.accounts.models import Group, User
from cloudmentor.accounts.selectors import group_member_ids
from cloudmentor.accounts.services import group_set_access_end, user_set_access_end
from cloudmentor.core import stamps

from ..models import Customer
from ..selectors import access_stamp


def customer_for_user(*, user: User) -> Customer:
    """Return the member's billing customer, created on first use."""
    customer = Customer.objects.filter(user=user).first()
    if customer is not None:
        return customer
    try:
        with transaction.atomic():
            return Customer.objects.create(user=user, kind=Customer.Kind.INDIVIDUAL)
    except IntegrityError:  # created at the same moment by another request
        return Customer.objects.get(user=user)


def _customer_locked(*, user: User) -> Customer:
    """Return the member's customer row, locked until commit: periods are appended one at a time."""
    customer = customer_for_user(user=user)
    return Customer.objects.select_for_update(of=("self",)).select_related("user").get(pk=customer.pk)


def _validity_end(customer: Customer) -> datetime | None:
    end: datetime | None = customer.subscriptions.aggregate(end=Max("ends_at"))["end"]
    return end


def _access_end_sync(customer: Customer, *, holder: User | None = None) -> None:
    """Keep the account's validity end (CK-4 cookie, entitlements) equal to its last period's end.

    Every change of a member's periods comes through here: it also makes the member's
    cached access level stale (`selectors.user_access_level`).

    `holder` is the caller's instance of the account, updated too, so that a session
    started with it right after gets the new end.
    """
    user = holder if holder is not None else customer.user
    if user is not None:
        user_set_access_end(user=user, ends_at=_validity_end(customer))
        stamps.bump(access_stamp(user.pk))  # the cached access level is stale at once
    elif customer.group_id is not None:
        # The group's paid-up date: its owner's and members' account cookie lives until then (CK-4).
        group_set_access_end(group_id=customer.group_id, ends_at=_validity_end(customer))
        # A group's periods give its members their level: every member's cached level is stale.
        member_ids = group_member_ids(group_id=customer.group_id)
        if member_ids:
            stamps.bump(*(access_stamp(member_id) for member_id in member_ids))


def customer_for_group(*, group: Group) -> Customer:
    """Return the group's billing customer, created on first use."""
    customer = Customer.objects.filter(group=group).first()
    if customer is not None:
        return customer
    try:
        with transaction.atomic():
            return Customer.objects.create(group=group, kind=Customer.Kind.GROUP)
    except IntegrityError:  # created at the same moment by another request
        return Customer.objects.get(group=group)


@transaction.atomic
def customer_details_update(*, customer: Customer, billing_name: str, billing_address: str) -> Customer:
    """Change the buyer details printed on invoices issued from now on (issued ones never change)."""
    customer.billing_name = billing_name.strip()
    customer.billing_address = billing_address.strip()
    customer.save(update_fields=["billing_name", "billing_address"])
    return customer
