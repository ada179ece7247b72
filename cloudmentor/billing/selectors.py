"""Reads of the billing app; `user_access_level` is the entitlement answer for `learning`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from cloudmentor.accounts.models import AccountEvent, Group, GroupMembership, User
from cloudmentor.accounts.roles import ALL_MATERIAL, INVOICES, user_has_staff_capability
from cloudmentor.accounts.selectors import event_list, user_stamp
from cloudmentor.core import stamps

from .models import (
    AccessLevel,
    BillingEvent,
    CreditNote,
    Customer,
    Invoice,
    InvoiceDocument,
    Payment,
    Plan,
    Subscription,
)

# The account events that belong to the registration history (PV-3).
HISTORY_ACCOUNT_KINDS = (AccountEvent.Kind.REGISTERED, AccountEvent.Kind.DISABLED, AccountEvent.Kind.ENABLED)
# A member's access level is cached at most this long (a safety net: every change of their
# periods goes through the services, which make the cached level stale at once).
ACCESS_CACHE_SECONDS = 60


def plan_list_purchasable() -> QuerySet[Plan]:
    """Return the plans on sale, in display order."""
    return Plan.objects.filter(is_purchasable=True)


def plan_list_for_members() -> QuerySet[Plan]:
    """Return the plans a member can buy for their own account (individual plans)."""
    return plan_list_purchasable().filter(kind=Plan.Kind.INDIVIDUAL)


def customer_of_user(*, user: User) -> Customer | None:
    return Customer.objects.filter(user=user).first()


def group_validity_end(*, user: User) -> datetime | None:
    """Return the end of the last period of the group `user` belongs to (None: none)."""
    end: datetime | None = Subscription.objects.filter(customer__group__memberships__user=user).aggregate(
        end=Max("ends_at")
    )["end"]
    return end


def user_access_level(*, user: User | None) -> AccessLevel:
    """Return the highest access level `user` may use now (FREE for visitors).

    The highest level among the periods covering this moment: bought (paid or within
    their payment deadline; an account unpaid past it is disabled) or granted by staff.
    Staff see everything, so they can review material.

    Asked on every member's lesson, so cached per member until the next start or end of
    one of their periods (at most ``ACCESS_CACHE_SECONDS``), and made stale at once by any
    change of their periods (`access_stamp`) or of their account (disabled, enabled).
    """
    if user is None or not user.is_authenticated:
        return AccessLevel.FREE
    if user_has_staff_capability(user, ALL_MATERIAL):
        return AccessLevel.EXPERT
    if not user.is_active:
        return AccessLevel.FREE
    now = timezone.now()
    key = f"billing:access-level:{user.pk}"
    found = stamps.lookup(key, user_stamp(user.pk), access_stamp(user.pk))
    if found.value is not None:
        level, computed_at, valid_until = found.value
        if computed_at <= now < valid_until:
            return AccessLevel(level)
    # The periods running now and those to come, the member's own and their group's (the
    # best of both; a group's stop when its owner's account is disabled, TM-2/TM-6): the
    # level now, and the next moment it changes. Membership changes and the owner's
    # account changes bump the member's account stamp; the group's periods, `access_stamp`.
    # Written as "customer in (own, group's)" with the group as a scalar subquery (a person
    # is in one group at most): both customers are found through their unique indexes; an
    # OR across joins would scan every subscription.
    group_id = GroupMembership.objects.filter(user=user, group__owner__is_active=True).order_by().values("group_id")
    customers = Customer.objects.filter(Q(user=user) | Q(group_id=Subquery(group_id[:1]))).values("pk")
    periods = list(
        Subscription.objects.filter(customer_id__in=customers, ends_at__gt=now)
        .order_by()
        .values_list("access_level", "starts_at", "ends_at")
    )
    level = max((row[0] for row in periods if row[1] <= now), default=AccessLevel.FREE)
    changes = [starts if starts > now else ends for _level, starts, ends in periods]
    valid_until = min([*changes, now + timedelta(seconds=ACCESS_CACHE_SECONDS)])
    stamps.store(key, (int(level), now, valid_until), found, ACCESS_CACHE_SECONDS)
    return AccessLevel(level)


def access_stamp(user_id: object) -> str:
    """The change stamp of a member's access level: bumped by every change of their periods."""
    return f"billing:access:{user_id}"


def validity_end(*, user: User) -> datetime | None:
    """Return the end of the member's last period (None: never subscribed)."""
    end: datetime | None = Subscription.objects.filter(customer__user=user).aggregate(end=Max("ends_at"))["end"]
    return end


def _held_by(user: User) -> Q:
    """The customers whose subscriber is `user`: their own, and the group they own (TM-2).

    Found through the customers' unique indexes (see `user_access_level`).
    """
    owned = Group.objects.filter(owner=user).order_by().values("pk")[:1]
    return Q(customer_id__in=Customer.objects.filter(Q(user=user) | Q(group_id=Subquery(owned))).values("pk"))


def subscription_list(*, user: User) -> QuerySet[Subscription]:
    """Return the periods the member holds (their own and their group's), latest first, with their plans."""
    return Subscription.objects.filter(_held_by(user)).select_related("plan", "customer__group")


def invoice_list(*, user: User) -> QuerySet[Invoice]:
    """Return the member's issued invoices (drafts, even cancelled ones, are not invoices), latest first."""
    return (
        Invoice.objects.filter(_held_by(user), number__isnull=False)
        .select_related("subscription__plan")
        .order_by("-issued_at", "-pk")
    )


def access_invoice(*, viewer: User, invoice_id: int) -> Invoice:
    """Return an issued invoice the viewer may see (their own, or any for staff).

    Raises Invoice.DoesNotExist for an unknown or never issued invoice, PermissionDenied
    for someone else's.
    """
    invoice = Invoice.objects.select_related("customer__user", "customer__group", "subscription__plan").get(
        pk=invoice_id, number__isnull=False
    )
    if invoice.customer.is_held_by(viewer) or user_has_staff_capability(viewer, INVOICES):
        return invoice
    raise PermissionDenied


def invoice_has_document(*, invoice: Invoice) -> bool:
    return InvoiceDocument.objects.filter(invoice_id=invoice.pk).exists()


@dataclass(frozen=True)
class HistoryRow:
    """One line of the registration history, from billing or from accounts."""

    at: datetime
    label: str
    detail: str
    actor: str
    invoice_id: int | None = None
    invoice_number: str = ""


def _subscription_detail(subscription: Subscription | None) -> str:
    if subscription is None:
        return ""
    plan = subscription.plan
    name = plan.display_name if plan is not None else str(subscription.get_access_level_display())
    start = timezone.localtime(subscription.starts_at)
    end = timezone.localtime(subscription.ends_at)
    return f"{name} · {start:%Y-%m-%d} → {end:%Y-%m-%d}"


def history_for_user(*, user: User, limit: int = 200) -> list[HistoryRow]:
    """Return the member's registration history (PV-3), newest first: billing rows and account rows.

    Three queries whatever the length.
    """
    rows: list[HistoryRow] = []
    billing = (
        BillingEvent.objects.filter(_held_by(user))
        .select_related("subscription__plan", "invoice", "actor")
        .order_by("-created_at", "-pk")[:limit]
    )
    for event in billing:
        detail = _subscription_detail(event.subscription)
        if event.kind in (
            BillingEvent.Kind.INVOICE_PAID,
            BillingEvent.Kind.PAYMENT_REJECTED,
            BillingEvent.Kind.GRANTED,
        ):
            detail = " — ".join(part for part in (detail, event.detail) if part)
        if event.kind == BillingEvent.Kind.STAFF_CHANGED:
            detail = " — ".join(part for part in (event.detail, detail) if part)
        invoice = event.invoice
        rows.append(
            HistoryRow(
                at=event.created_at,
                label=str(event.get_kind_display()),
                detail=detail,
                actor=_actor_name(event.actor, user),
                invoice_id=invoice.pk if invoice is not None else None,
                invoice_number=(invoice.number or "") if invoice is not None else "",
            )
        )
    for account_event in event_list(user=user, limit=limit, kinds=HISTORY_ACCOUNT_KINDS):
        rows.append(
            HistoryRow(
                at=account_event.created_at,
                label=str(account_event.get_kind_display()),
                detail=account_event.reason,
                actor=_actor_name(account_event.actor, user),
            )
        )
    rows.sort(key=lambda row: row.at, reverse=True)
    return rows[:limit]


def _actor_name(actor: User | None, member: User) -> str:
    if actor is None:
        return ""
    if actor.pk == member.pk:
        return member.username
    return str(_("l'équipe")) if actor.is_staff else actor.username


def plan_material_by_level() -> dict[int, Any]:
    """Return what each access level opens (TM-3), keyed by level, or {} without a catalog.

    The catalog lives in a higher layer (learning): it is reached through the dotted path
    in ``BILLING_PLAN_MATERIAL_LOOKUP``, like middleware, outside the import graph.
    """
    lookup = getattr(settings, "BILLING_PLAN_MATERIAL_LOOKUP", "")
    if not lookup:
        return {}
    return {int(entry.level): entry for entry in import_string(lookup)()}


def _money(amount: Any) -> str | None:
    return None if amount is None else str(amount)


def billing_export_for_user(*, user: User) -> dict[str, Any]:
    """Return the member's billing data (PV-9): details, periods, invoices, credit notes, payments, history.

    Five queries: credit notes come with their invoices. The reminders sent are in the
    emails' part of the file (mailing), like every email.
    """
    customer = Customer.objects.filter(user=user).first()
    if customer is None:
        return {
            "customer": None,
            "subscriptions": [],
            "invoices": [],
            "credit_notes": [],
            "payments": [],
            "history": [],
        }
    invoices = list(customer.invoices.select_related("credit_note").order_by("created_at", "pk"))
    notes = []
    for invoice in invoices:
        try:
            notes.append(invoice.credit_note)
        except CreditNote.DoesNotExist:
            continue
    return {
        "customer": {
            "billing_name": customer.billing_name,
            "billing_address": customer.billing_address,
            "created_at": customer.created_at,
        },
        "subscriptions": [
            {
                "plan": sub.plan.name if sub.plan else None,
                "access_level": sub.get_access_level_display(),
                "price": _money(sub.price),
                "currency": sub.currency,
                "starts_at": sub.starts_at,
                "ends_at": sub.ends_at,
                "source": sub.source,
                "reason": sub.reason,
                "created_at": sub.created_at,
            }
            for sub in customer.subscriptions.select_related("plan").order_by("starts_at", "pk")
        ],
        "invoices": [
            {
                "number": invoice.number,
                "status": invoice.status,
                "amount_total": _money(invoice.amount_total),
                "amount_net": _money(invoice.amount_net),
                "vat_amount": _money(invoice.vat_amount),
                "currency": invoice.currency,
                "description": invoice.line_description,
                "period_starts_at": invoice.period_starts_at,
                "period_ends_at": invoice.period_ends_at,
                "issued_at": invoice.issued_at,
                "due_at": invoice.due_at,
                "paid_at": invoice.paid_at,
                "voided_at": invoice.voided_at,
                "buyer": invoice.buyer,
            }
            for invoice in invoices
        ],
        "credit_notes": [
            {
                "number": note.number,
                "invoice": note.invoice.number,
                "amount_total": _money(note.amount_total),
                "currency": note.currency,
                "issued_at": note.issued_at,
                "reason": note.reason,
                "buyer": note.buyer,
            }
            for note in notes
        ],
        "payments": [
            {
                "invoice": payment.invoice.number,
                "provider": payment.provider,
                "reference": payment.reference,
                "amount": _money(payment.amount),
                "currency": payment.currency,
                "status": payment.status,
                "received_at": payment.received_at,
                "detail": payment.detail,
            }
            for payment in Payment.objects.filter(invoice__customer=customer)
            .select_related("invoice")
            .order_by("received_at", "pk")
        ],
        "history": [
            {
                "kind": event.kind,
                "label": str(event.get_kind_display()),
                "at": event.created_at,
                "invoice": event.invoice.number if event.invoice else None,
                "detail": event.detail,
            }
            for event in customer.events.select_related("invoice").order_by("created_at", "pk")
        ],
    }


def billing_erasure_notices(*, user: User) -> list[str]:
    """Warn before erasure: a running period ends without refund (TM-7), unpaid invoices stay due."""
    now = timezone.now()
    notices = []
    running_until = Subscription.objects.filter(customer__user=user, ends_at__gt=now, price__gt=0).aggregate(
        end=Max("ends_at")
    )["end"]
    if running_until is not None:
        notices.append(
            _(
                "Votre abonnement court jusqu'au %(date)s : il prend fin dès l'effacement, sans remboursement "
                "(conditions d'utilisation)."
            )
            % {"date": date_format(timezone.localtime(running_until), "DATE_FORMAT")}
        )
    for invoice in Invoice.objects.filter(customer__user=user, status=Invoice.Status.OPEN).order_by("issued_at"):
        notices.append(
            _(
                "La facture %(number)s (%(amount)s %(currency)s) n'est pas payée : elle est conservée et reste due. "
                "Après l'effacement, réglez-la en écrivant à l'assistance avec son numéro."
            )
            % {
                "number": invoice.number,
                "amount": number_format(invoice.amount_total, decimal_pos=2, use_l10n=True),
                "currency": invoice.currency,
            }
        )
    return notices


def access_credit_note(*, viewer: User, credit_note_id: int) -> CreditNote:
    """Return a credit note the viewer may see (their own, or any for staff) (BZ-3).

    Raises CreditNote.DoesNotExist for an unknown one, PermissionDenied for someone else's.
    """
    note = CreditNote.objects.select_related("customer__user", "customer__group", "invoice").get(pk=credit_note_id)
    if note.customer.is_held_by(viewer) or user_has_staff_capability(viewer, INVOICES):
        return note
    raise PermissionDenied


@dataclass(frozen=True)
class TimelineRow:
    """One step of an account's dunning timeline (BZ-4): what happened or is due, and when."""

    at: datetime
    label: str
    detail: str = ""
    is_future: bool = False


_TIMELINE_BILLING_KINDS = (
    BillingEvent.Kind.PURCHASED,
    BillingEvent.Kind.EXTENDED,
    BillingEvent.Kind.GRANTED,
    BillingEvent.Kind.STAFF_CHANGED,
    BillingEvent.Kind.INVOICE_ISSUED,
    BillingEvent.Kind.INVOICE_PAID,
    BillingEvent.Kind.INVOICE_VOIDED,
    BillingEvent.Kind.CREDIT_NOTE_ISSUED,
    BillingEvent.Kind.PAYMENT_REJECTED,
    BillingEvent.Kind.PERIOD_ENDED,
)


def _deadline_detail(invoice: Invoice, now: datetime) -> tuple[str, bool]:
    """Return what became of an invoice's deadline, and whether it is still to come."""
    due = invoice.due_at
    assert due is not None  # issued invoices only
    if invoice.status == Invoice.Status.PAID and invoice.paid_at is not None:
        state = _("payée avant l'échéance") if invoice.paid_at <= due else _("payée après l'échéance")
    elif invoice.status == Invoice.Status.VOID:
        state = _("annulée")
    elif due > now:
        state = _("à venir")
    else:
        state = _("impayée à l'échéance")
    return f"{invoice.number} — {state}", due > now


def dunning_timeline(*, customer: Customer, limit: int = 500) -> list[TimelineRow]:
    """Return a customer's dunning timeline for staff, oldest first (BZ-4, TM-6, PV-3).

    Invoices issued, reminders before the validity end, each invoice's deadline and what
    became of it, the account disabled and re-enabled, payments, credit notes. Five
    queries whatever the length (the subscriber's account events come from accounts).
    """
    now = timezone.now()
    rows: list[TimelineRow] = []
    events = (
        BillingEvent.objects.filter(customer=customer, kind__in=_TIMELINE_BILLING_KINDS)
        .select_related("invoice", "subscription__plan")
        .order_by("-created_at", "-pk")[:limit]
    )
    for event in events:
        if event.invoice is not None:
            detail = " — ".join(part for part in (event.invoice.number or "", event.detail) if part)
        else:
            detail = _subscription_detail(event.subscription)
        rows.append(TimelineRow(at=event.created_at, label=str(event.get_kind_display()), detail=detail))
    for reminder in customer.expiry_reminders.order_by("-sent_at")[:limit]:
        rows.append(
            TimelineRow(
                at=reminder.sent_at,
                label=_("Relance avant la fin de validité (J-%(days)s)") % {"days": reminder.days_before},
                detail=_("fin le %(end)s")
                % {"end": date_format(timezone.localtime(reminder.validity_end_at), "DATETIME_FORMAT")},
            )
        )
    issued = customer.invoices.filter(due_at__isnull=False).order_by("-due_at")[:limit]
    for invoice in issued:
        detail, is_future = _deadline_detail(invoice, now)
        assert invoice.due_at is not None
        rows.append(
            TimelineRow(at=invoice.due_at, label=_("Échéance de la facture"), detail=detail, is_future=is_future)
        )
    contact = customer.contact
    if contact is not None:
        kinds = (AccountEvent.Kind.DISABLED, AccountEvent.Kind.ENABLED)
        for account_event in event_list(user=contact, limit=limit, kinds=kinds):
            rows.append(
                TimelineRow(
                    at=account_event.created_at,
                    label=str(account_event.get_kind_display()),
                    detail=account_event.reason,
                )
            )
    rows.sort(key=lambda row: row.at)
    return rows


def card_payment_processor() -> str:
    """Name the processor that takes card payments now ("stripe", "demo"), or "" when none does.

    The privacy page lists Stripe as a recipient of personal data from this (PV-6).
    """
    from .providers import payment_provider_name

    return payment_provider_name()
