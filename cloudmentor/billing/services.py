"""Every write of the billing app: purchases, extensions, grants, invoices, payments, the billing run.

Lock order, everywhere: customer, then invoices, then the year's invoice sequence, then
the account (accounts' services). Emails and tasks leave after commit.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, connections, router, transaction
from django.db.models import Max, Model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cloudmentor.accounts.exceptions import YouAreInAGroup
from cloudmentor.accounts.models import Group, User
from cloudmentor.accounts.selectors import group_member_ids
from cloudmentor.accounts.services import (
    credentials_check,
    group_for_owner,
    group_set_seats,
    user_disable,
    user_enable,
    user_register,
    user_set_access_end,
)
from cloudmentor.core import stamps
from cloudmentor.mailing.services import email_queue

from . import events, signals
from .exceptions import (
    AccountDisabled,
    ChangeNotAllowed,
    GroupTooLargeForPlan,
    InvoiceNotPayable,
    NotTheGroupOwner,
    PlanNotAvailable,
)
from .models import (
    AccessLevel,
    BillingEvent,
    Customer,
    Invoice,
    InvoiceDocument,
    InvoiceSequence,
    Payment,
    Plan,
    Subscription,
)
from .periods import add_months
from .providers import stripe_checkout
from .selectors import access_stamp

logger = logging.getLogger(__name__)
CENT = Decimal("0.01")


def _now() -> datetime:
    return timezone.now()


def _absolute(name: str, language: str, **kwargs: Any) -> str:
    with translation.override(language):
        return f"{settings.SITE_URL}{reverse(name, kwargs=kwargs or None)}"


def _login_then(language: str, name: str) -> str:
    """Return the login page's address, sending the member on to page `name` once logged in."""
    with translation.override(language):
        return f"{settings.SITE_URL}{reverse('accounts:login')}?{urlencode({'next': reverse(name)})}"


def _staff_alert(*, template: str, context: Mapping[str, Any]) -> None:
    for address in settings.STAFF_ALERT_EMAILS:
        email_queue(to=address, template=template, context=context, language=settings.LANGUAGE_CODE)


# Customers and the account's validity ---------------------------------------------------


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


# Purchases, extensions, grants, staff changes (TM-4, TM-6, TM-8) ------------------------


def _subscription_add(*, holder: User, plan: Plan, actor: User | None) -> Subscription:
    if not holder.is_active:
        raise AccountDisabled
    if not plan.is_purchasable:
        raise PlanNotAvailable
    customer = _customer_locked(user=holder)
    if plan.kind != customer.kind:
        raise PlanNotAvailable
    subscription = _period_append(customer=customer, plan=plan, actor=actor)
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
def subscription_purchase(*, holder: User, plan: Plan, actor: User | None = None) -> Subscription:
    """Give a new account its first period of `plan`, usable at once (TM-6).

    A paid plan gets a draft invoice that the billing run issues
    ``BILLING_INVOICE_DELAY_DAYS`` later; a free plan gets none.
    """
    return _subscription_add(holder=holder, plan=plan, actor=actor)


@transaction.atomic
def subscription_extend(*, holder: User, plan: Plan, actor: User | None = None) -> Subscription:
    """Append one period of `plan` after the holder's validity end, or from now if it has passed (TM-8).

    The caller has proven that the holder is the person asking (logged in, or password).
    """
    return _subscription_add(holder=holder, plan=plan, actor=actor)


@transaction.atomic
def group_subscription_buy(*, owner: User, plan: Plan, group_name: str = "") -> Subscription:
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
    subscription = subscription_purchase(holder=user, plan=plan, actor=user)
    return user, subscription


@transaction.atomic
def subscription_extend_with_password(
    *, plan: Plan, email: str, password: str, ip: str | None = None, user_agent: str = ""
) -> tuple[User, Subscription]:
    """Extend the account `email` names, its password proving it is the asker's (TM-8).

    Raises accounts' InvalidCredentials, or accounts' AccountDisabled for a disabled
    account (which gets the "contact support" message and nothing else).
    """
    user = credentials_check(identifier=email, password=password, ip=ip, user_agent=user_agent)
    subscription = subscription_extend(holder=user, plan=plan, actor=user)
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


# Invoices: drafts, issue, PDF -------------------------------------------------------------


def _invoice_draft(
    *, subscription: Subscription, amount: Decimal, now: datetime, scheduled_at: datetime | None = None
) -> Invoice:
    """Schedule the invoice of a period: ``BILLING_INVOICE_DELAY_DAYS`` after purchase, before expiry."""
    if scheduled_at is None:
        validity_end = _validity_end(subscription.customer) or subscription.ends_at
        latest = max(now, validity_end - timedelta(days=1))
        scheduled_at = min(now + timedelta(days=int(settings.BILLING_INVOICE_DELAY_DAYS)), latest)
    return Invoice.objects.create(
        customer_id=subscription.customer_id,
        subscription=subscription,
        status=Invoice.Status.DRAFT,
        amount_total=amount,
        currency=subscription.currency,
        period_starts_at=subscription.starts_at,
        period_ends_at=subscription.ends_at,
        scheduled_at=scheduled_at,
        created_at=now,
    )


def _seller() -> dict[str, str]:
    return {
        "name": settings.BILLING_SELLER_NAME,
        "address": settings.BILLING_SELLER_ADDRESS,
        "siret": settings.BILLING_SELLER_SIRET,
        "vat_number": settings.BILLING_SELLER_VAT_NUMBER,
        "email": settings.BILLING_SELLER_EMAIL,
        "iban": settings.BILLING_IBAN,
        "bic": settings.BILLING_BIC,
    }


def _buyer(customer: Customer) -> dict[str, str]:
    user = customer.contact  # a group's owner (TM-2)
    group_name = customer.group.name if customer.group_id and customer.group else ""
    name = (
        customer.billing_name or group_name or (user.get_full_name() if user else "") or (user.username if user else "")
    )
    return {
        "name": name,
        "username": user.username if user else "",
        "email": user.email if user else "",
        "address": customer.billing_address,
        "language": user.language if user else settings.LANGUAGE_CODE,
    }


def vat_split(total: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """Return (net, VAT) of a VAT-included `total`; they add up to it exactly."""
    if rate == 0:
        return total, Decimal("0.00")
    net = (total / (1 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)
    return net, total - net


def _line_description(invoice: Invoice, language: str) -> str:
    subscription = invoice.subscription
    plan = subscription.plan
    with translation.override(language):
        name = plan.display_name if plan is not None else str(subscription.get_access_level_display())
        start = date_format(timezone.localtime(invoice.period_starts_at), "SHORT_DATE_FORMAT")
        end = date_format(timezone.localtime(invoice.period_ends_at), "SHORT_DATE_FORMAT")
        if subscription.source == Subscription.Source.STAFF_CHANGE:
            label = _("Abonnement %(plan)s — changement de durée, du %(start)s au %(end)s")
        else:
            label = _("Abonnement %(plan)s, du %(start)s au %(end)s")
        return label % {"plan": name, "start": start, "end": end}


def _numbers_take(year: int, count: int) -> list[int]:
    """Hand out `count` consecutive numbers of `year`; the sequence row stays locked until commit.

    Numbers and invoices are written in the same transaction, so a rollback returns the
    numbers too: the series has no gap (French invoicing rule).
    """
    InvoiceSequence.objects.bulk_create([InvoiceSequence(year=year)], ignore_conflicts=True)
    sequence = InvoiceSequence.objects.select_for_update().get(year=year)
    first = sequence.last_number + 1
    sequence.last_number += count
    sequence.save(update_fields=["last_number"])
    return list(range(first, first + count))


_ISSUE_FIELDS = [
    "status",
    "number",
    "year",
    "sequence",
    "issued_at",
    "due_at",
    "seller",
    "buyer",
    "amount_net",
    "vat_rate",
    "vat_amount",
    "vat_mention",
    "line_description",
]


def _rows_update(model: type[Model], fields: list[str], objects: list[Any]) -> None:
    """Write `fields` of each object, one UPDATE per row sent in a single batch (executemany).

    ``bulk_update`` builds a CASE expression per field and row: on 5,000 invoices it cost
    more than everything else the billing run does (see bench/billing_run.py).
    """
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    meta = model._meta
    columns: list[Any] = [meta.get_field(name) for name in fields]
    primary_key: Any = meta.pk
    assignments = ", ".join(f"{quote(column.column)} = %s" for column in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(primary_key.column)} = %s"  # noqa: S608 - names from the model
    rows = [
        [column.get_db_prep_save(getattr(obj, column.attname), connection) for column in columns] + [obj.pk]
        for obj in objects
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _invoices_issue(drafts: list[Invoice], *, now: datetime, notify: bool = True) -> list[Invoice]:
    """Issue locked drafts: number, details, due date, history row, notice email, PDF task.

    The due date is ``BILLING_PAYMENT_TERMS_DAYS`` after issue, never after the account's
    validity end (but not before the issue itself).
    """
    if not drafts:
        return []
    customer_ids = {invoice.customer_id for invoice in drafts}
    validity_ends = dict(
        Subscription.objects.filter(customer_id__in=customer_ids)
        .values("customer_id")
        .annotate(end=Max("ends_at"))
        .values_list("customer_id", "end")
    )
    rate = Decimal(str(settings.BILLING_VAT_RATE))
    seller = _seller()
    terms = timedelta(days=int(settings.BILLING_PAYMENT_TERMS_DAYS))
    prefix = settings.BILLING_INVOICE_PREFIX
    year = timezone.localtime(now).year
    numbers = _numbers_take(year, len(drafts))
    for invoice, sequence in zip(drafts, numbers, strict=True):
        buyer = _buyer(invoice.customer)
        net, vat = vat_split(invoice.amount_total, rate)
        validity_end = validity_ends.get(invoice.customer_id) or invoice.period_ends_at
        invoice.status = Invoice.Status.OPEN
        invoice.year = year
        invoice.sequence = sequence
        invoice.number = f"{prefix}-{year}-{sequence:06d}"
        invoice.issued_at = now
        invoice.due_at = max(now, min(now + terms, validity_end))
        invoice.seller = seller
        invoice.buyer = buyer
        invoice.amount_net = net
        invoice.vat_rate = rate
        invoice.vat_amount = vat
        invoice.vat_mention = settings.BILLING_VAT_EXEMPTION_MENTION if rate == 0 else ""
        invoice.line_description = _line_description(invoice, buyer["language"])
    _rows_update(Invoice, _ISSUE_FIELDS, drafts)
    BillingEvent.objects.bulk_create([events.invoice_issued_row(invoice=invoice) for invoice in drafts])
    if notify:
        for invoice in drafts:
            _invoice_notice_send(invoice)
    ids = [invoice.pk for invoice in drafts]
    transaction.on_commit(partial(_enqueue_pdf_render, ids))
    return drafts


def _invoice_notice_send(invoice: Invoice) -> None:
    """Tell the member an invoice is available and that they should log in to pay (TM-6).

    The email carries no amount to pay by link, no card form and no payment link: only
    the invoice's number, total, due date and the address of the login page.
    """
    user = invoice.customer.contact  # a group's invoices go to its owner (TM-2)
    if user is None or not user.is_active:
        return  # a disabled member is only ever told to contact support
    language = user.language or settings.LANGUAGE_CODE
    email_queue(
        to=user.email,
        template="billing/emails/invoice_available",
        context={
            "username": user.username,
            "number": invoice.number,
            "amount": invoice.amount_total,
            "currency": invoice.currency,
            "due_at": invoice.due_at,
            "login_url": _login_then(language, "billing:account"),
        },
        language=language,
    )


def _enqueue_pdf_render(invoice_ids: list[int]) -> None:
    from .tasks import invoice_pdf_render_task

    invoice_pdf_render_task.enqueue(invoice_ids)


@transaction.atomic
def _invoice_issue_batch(*, now: datetime, limit: int) -> int:
    drafts = list(
        Invoice.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("customer__user", "customer__group__owner", "subscription__plan")
        .filter(status=Invoice.Status.DRAFT, scheduled_at__lte=now)
        .order_by("scheduled_at", "pk")[:limit]
    )
    return len(_invoices_issue(drafts, now=now))


@transaction.atomic
def subscription_invoice_issue_now(*, subscription: Subscription, notify: bool = True) -> Invoice | None:
    """Issue the draft invoice of a subscription now rather than at its scheduled time (demo, staff)."""
    drafts = list(
        Invoice.objects.select_for_update(of=("self",))
        .select_related("customer__user", "customer__group__owner", "subscription__plan")
        .filter(subscription=subscription, status=Invoice.Status.DRAFT)
    )
    issued = _invoices_issue(drafts, now=_now(), notify=notify)
    return issued[0] if issued else None


def invoice_issue_due(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Issue every draft whose time has come, in batches (one transaction each); return how many.

    Two runs at once share the work: each skips the drafts the other has locked.
    """
    now = now or _now()
    limit = batch_size or int(settings.BILLING_RUN_BATCH_SIZE)
    issued = 0
    while True:
        count = _invoice_issue_batch(now=now, limit=limit)
        issued += count
        if count < limit:
            return issued


def invoice_pdf_render(*, invoice_id: int) -> InvoiceDocument | None:
    """Render the PDF of an issued invoice once; later calls return the stored one."""
    from .pdf import invoice_pdf_bytes

    document = InvoiceDocument.objects.filter(invoice_id=invoice_id).first()
    if document is not None:
        return document
    invoice = Invoice.objects.select_related("subscription__plan").get(pk=invoice_id)
    if invoice.status == Invoice.Status.DRAFT:
        return None
    content = invoice_pdf_bytes(invoice)
    try:
        with transaction.atomic():
            return InvoiceDocument.objects.create(
                invoice=invoice, pdf=content, sha256=hashlib.sha256(content).hexdigest()
            )
    except IntegrityError:  # rendered at the same moment by another worker: keep the first
        return InvoiceDocument.objects.get(invoice_id=invoice_id)


# Deadlines and expiries (TM-6, PV-3, PV-8) ------------------------------------------------


@transaction.atomic
def _overdue_batch(*, now: datetime, limit: int) -> tuple[int, int]:
    """Act on up to `limit` invoices past their due date; return (invoices handled, accounts disabled)."""
    overdue = list(
        Invoice.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("customer__user", "customer__group__owner")
        .filter(status=Invoice.Status.OPEN, overdue_processed_at__isnull=True, due_at__lt=now)
        .order_by("due_at", "pk")[:limit]
    )
    if not overdue:
        return 0, 0
    Invoice.objects.filter(pk__in=[invoice.pk for invoice in overdue]).update(overdue_processed_at=now)
    disabled: set[int] = set()
    for invoice in overdue:
        # A group's owner gets the TM-6 treatment; the group's access follows the owner's account.
        user = invoice.customer.contact
        if user is None or not user.is_active or user.pk in disabled:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            reason = _("Facture %(number)s impayée à l'échéance") % {"number": invoice.number}
        # No email: the account is disabled without notice (TM-6); its sessions end.
        user_disable(user=user, actor=None, reason=reason)
        disabled.add(user.pk)
    return len(overdue), len(disabled)


def invoices_disable_overdue(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Disable every account with an invoice unpaid past its due date; return how many.

    Each invoice is acted on once: an account that staff re-enable stays enabled. Two
    runs at once share the work (skip-locked batches).
    """
    now = now or _now()
    limit = batch_size or int(settings.BILLING_RUN_BATCH_SIZE)
    disabled = 0
    while True:
        handled, count = _overdue_batch(now=now, limit=limit)
        disabled += count
        if handled < limit:
            return disabled


@transaction.atomic
def _periods_ended_batch(*, now: datetime, limit: int) -> int:
    ended = list(
        Subscription.objects.select_for_update(skip_locked=True)
        .filter(ended_recorded_at__isnull=True, ends_at__lte=now)
        .order_by("ends_at", "pk")
        .only("pk", "customer_id", "ends_at")[:limit]
    )
    if not ended:
        return 0
    BillingEvent.objects.bulk_create([events.period_ended_row(subscription=row) for row in ended])
    Subscription.objects.filter(pk__in=[row.pk for row in ended]).update(ended_recorded_at=now)
    return len(ended)


def periods_record_ended(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Write one "period ended" history row per period that has ended; nothing is deleted (PV-8)."""
    now = now or _now()
    recorded = 0
    while True:
        count = _periods_ended_batch(now=now, limit=batch_size)
        recorded += count
        if count < batch_size:
            return recorded


@dataclass(frozen=True)
class BillingRunReport:
    disabled: int
    issued: int
    ended: int


def billing_run(*, now: datetime | None = None) -> BillingRunReport:
    """Do what is due: disable overdue accounts, issue invoices and notices, record ended periods.

    Idempotent and safe to run twice at once (row locks, skip-locked batches).
    """
    now = now or _now()
    disabled = invoices_disable_overdue(now=now)
    issued = invoice_issue_due(now=now)
    ended = periods_record_ended(now=now)
    return BillingRunReport(disabled=disabled, issued=issued, ended=ended)


# Payments (TM-6, TM-7) ----------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentOutcome:
    payment: Payment
    created: bool


def _payment_record(
    *,
    invoice_id: int,
    provider: str,
    reference: str,
    amount: Decimal,
    currency: str,
    actor: User | None,
    detail: str = "",
    notify: bool = True,
) -> PaymentOutcome:
    """Record money received for an invoice, once per (provider, reference); pay the invoice if it matches.

    Runs inside the caller's transaction. The invoice row is locked first, so deliveries
    of one payment that race each other see each other's row.
    """
    invoice = (
        Invoice.objects.select_for_update(of=("self",))
        .select_related("customer__user", "customer__group__owner")
        .get(pk=invoice_id)
    )
    if reference:
        existing = Payment.objects.filter(provider=provider, reference=reference).first()
        if existing is not None:
            return PaymentOutcome(payment=existing, created=False)
    currency = currency.upper()
    now = _now()
    if amount != invoice.amount_total or currency != invoice.currency:
        status = Payment.Status.REJECTED
        detail = detail or f"expected {invoice.amount_total} {invoice.currency}, received {amount} {currency}"
    elif invoice.status != Invoice.Status.OPEN:
        status = Payment.Status.DUPLICATE
        detail = detail or f"invoice {invoice.get_status_display()}"
    else:
        status = Payment.Status.SUCCEEDED
    payment = Payment.objects.create(
        invoice=invoice,
        provider=provider,
        reference=reference,
        amount=amount,
        currency=currency,
        status=status,
        received_at=now,
        recorded_by=actor,
        detail=detail,
    )
    if status == Payment.Status.SUCCEEDED:
        invoice.status = Invoice.Status.PAID
        invoice.paid_at = now
        invoice.save(update_fields=["status", "paid_at"])
        events.invoice_paid(invoice=invoice, payment=payment)
        if notify:
            _payment_received_send(invoice)
    else:
        events.payment_rejected(invoice=invoice, payment=payment)
        _staff_alert(
            template="billing/emails/staff_payment_problem",
            context={
                "number": invoice.number,
                "status": payment.get_status_display(),
                "provider": payment.get_provider_display(),
                "reference": reference,
                "expected": f"{invoice.amount_total} {invoice.currency}",
                "received": f"{amount} {currency}",
                "member": invoice.buyer.get("username", ""),
            },
        )
    return PaymentOutcome(payment=payment, created=True)


def _payment_received_send(invoice: Invoice) -> None:
    user = invoice.customer.contact
    if user is None:
        return
    language = user.language or settings.LANGUAGE_CODE
    email_queue(
        to=user.email,
        template="billing/emails/payment_received",
        context={
            "username": user.username,
            "number": invoice.number,
            "amount": invoice.amount_total,
            "currency": invoice.currency,
            "billing_url": _absolute("billing:account", language),
        },
        language=language,
    )


@transaction.atomic
def invoice_record_payment(
    *,
    invoice: Invoice,
    amount: Decimal,
    currency: str,
    reference: str,
    actor: User | None,
    reenable: bool = False,
    reason: str = "",
    notify: bool = True,
) -> Payment:
    """Record a bank transfer (or any late payment) received by staff; optionally re-enable the account."""
    outcome = _payment_record(
        invoice_id=invoice.pk,
        provider=Payment.Provider.MANUAL,
        reference=reference.strip(),
        amount=amount,
        currency=currency,
        actor=actor,
        notify=notify,
    )
    invoice.refresh_from_db()
    user = invoice.customer.contact
    if reenable and outcome.payment.status == Payment.Status.SUCCEEDED and user is not None and not user.is_active:
        user_enable(user=user, actor=actor, reason=reason or f"{invoice.number}")
    return outcome.payment


@transaction.atomic
def invoice_void(*, invoice: Invoice, actor: User, reason: str) -> Invoice:
    """Cancel an invoice that is not paid; a paid one is never undone (TM-7).

    An issued invoice keeps its number (numbers have no gaps); a draft cancelled before it
    was issued never gets one, so the billing run will not issue it.
    """
    locked = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
    if locked.status not in (Invoice.Status.DRAFT, Invoice.Status.OPEN):
        raise InvoiceNotPayable
    locked.status = Invoice.Status.VOID
    locked.voided_at = _now()
    locked.save(update_fields=["status", "voided_at"])
    events.invoice_voided(invoice=locked, actor=actor, reason=reason)
    return locked


def invoice_checkout_start(*, invoice: Invoice, success_url: str, cancel_url: str) -> str:
    """Open a Stripe Checkout Session for an open invoice; return the page to send the member to."""
    if not invoice.is_payable:
        raise InvoiceNotPayable
    session = stripe_checkout.checkout_session_create(
        invoice_id=invoice.pk,
        description=f"{invoice.number} — {invoice.line_description}",
        amount=invoice.amount_total,
        currency=invoice.currency,
        customer_email=str(invoice.buyer.get("email", "")),
        success_url=success_url,
        cancel_url=cancel_url,
        idempotency_key=f"invoice-{invoice.pk}-{uuid.uuid4().hex}",
    )
    return session.url


@transaction.atomic
def stripe_checkout_completed(*, session: stripe_checkout.CheckoutSession) -> Payment | None:
    """Pay the invoice a completed Checkout Session is for; idempotent per session.

    A session that is not paid changes nothing. An amount or currency that differs from
    the invoice pays nothing and alerts staff (once per session).
    """
    if session.payment_status != "paid" or session.amount_total is None:
        return None
    if session.invoice_id is None or not Invoice.objects.filter(pk=session.invoice_id).exists():
        logger.error("Stripe session %s names no invoice of this platform", session.id)
        return None
    outcome = _payment_record(
        invoice_id=session.invoice_id,
        provider=Payment.Provider.STRIPE,
        reference=session.id,
        amount=session.amount_total,
        currency=session.currency,
        actor=None,
    )
    return outcome.payment


def stripe_checkout_return(*, invoice: Invoice, session_id: str) -> Payment | None:
    """Check, when the member comes back from Stripe, whether the session paid this invoice."""
    session = stripe_checkout.checkout_session_get(session_id)
    if session.invoice_id != invoice.pk:
        return None
    return stripe_checkout_completed(session=session)


def stripe_webhook_handle(*, payload: bytes, signature: str) -> str:
    """Verify a webhook and act on the events that pay invoices; return the event type.

    Raises WebhookRejected when the signature does not verify.
    """
    event = stripe_checkout.webhook_event(payload=payload, signature=signature)
    kind = str(event.get("type", ""))
    if kind in {"checkout.session.completed", "checkout.session.async_payment_succeeded"}:
        session = stripe_checkout.checkout_session_from_event(event)
        if session.invoice_id is not None or not _checkout_session_dispatch(session):
            stripe_checkout_completed(session=session)
    return kind


def _checkout_session_dispatch(session: stripe_checkout.CheckoutSession) -> bool:
    """Hand a session that names no invoice to the app that opened it (donations); True if one took it."""
    replies = signals.checkout_session_completed.send(sender=stripe_checkout.CheckoutSession, session=session)
    return any(bool(reply) for _receiver, reply in replies)


# Personal data (PV-10) --------------------------------------------------------------------


@dataclass(frozen=True)
class BillingErasure:
    drafts_deleted: int
    details_cleared: bool
    invoices_kept: int
    unpaid_kept: int
    records_kept: int


@transaction.atomic
def billing_erase_for_user(*, user: User) -> BillingErasure:
    """Erase what billing may erase; keep invoices and their records for ten years (PV-10).

    The buyer details of the customer row are cleared: issued invoices keep their own
    copy (``buyer``), printed on their PDF. Drafts not issued yet are deleted: the access
    ends with the account, nothing more is invoiced. Periods, payments and history rows
    stay, tied to the anonymised account, as the invoices' supporting records.
    """
    customer = Customer.objects.select_for_update(of=("self",)).filter(user=user).first()
    if customer is None:
        return BillingErasure(drafts_deleted=0, details_cleared=False, invoices_kept=0, unpaid_kept=0, records_kept=0)
    drafts = Invoice.objects.filter(customer=customer, status=Invoice.Status.DRAFT)
    drafts_deleted = drafts.delete()[0]
    details_cleared = bool(customer.billing_name or customer.billing_address)
    customer.billing_name = ""
    customer.billing_address = ""
    customer.save(update_fields=["billing_name", "billing_address"])
    invoices = Invoice.objects.filter(customer=customer)
    records = (
        customer.subscriptions.count()
        + Payment.objects.filter(invoice__customer=customer).count()
        + customer.events.count()
    )
    stamps.bump(access_stamp(user.pk))
    return BillingErasure(
        drafts_deleted=drafts_deleted,
        details_cleared=details_cleared,
        invoices_kept=invoices.count(),
        unpaid_kept=invoices.filter(status=Invoice.Status.OPEN).count(),
        records_kept=records,
    )
