"""Every read of the newsletter that is more than a look-up by primary key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from cloudmentor.accounts.models import User
from cloudmentor.core import stamps

from .caching import STATUS_CACHE_SECONDS, member_stamp
from .models import ConsentEvent, Delivery, Issue, Subscriber


@dataclass(frozen=True)
class MemberStatus:
    """What the account page shows: subscribed or not, and since when."""

    is_subscribed: bool
    is_known: bool  # the address has a row (subscribed now or once)
    since: datetime | None


def subscriber_for_user(*, user: User) -> Subscriber | None:
    """Return the member's row: the one linked to the account, else the one of its address."""
    rows = Subscriber.objects.filter(Q(user=user) | Q(email__iexact=user.email))
    return rows.order_by(F("user_id").desc(nulls_last=True), "pk").first()


def member_status(*, user: User) -> MemberStatus:
    """Return the member's newsletter status; cached, no query in steady state."""
    key = f"newsletter:status:{user.pk}"
    found = stamps.lookup(key, member_stamp(user.pk))
    if found.value is not None:
        cached: MemberStatus = found.value
        return cached
    subscriber = Subscriber.objects.filter(user=user).first()
    if subscriber is None:
        status = MemberStatus(is_subscribed=False, is_known=False, since=None)
    elif subscriber.is_subscribed:
        status = MemberStatus(is_subscribed=True, is_known=True, since=subscriber.subscribed_at)
    else:
        status = MemberStatus(is_subscribed=False, is_known=True, since=subscriber.unsubscribed_at)
    stamps.store(key, status, found, STATUS_CACHE_SECONDS)
    return status


def consent_list(*, subscriber: Subscriber) -> QuerySet[ConsentEvent]:
    return ConsentEvent.objects.filter(subscriber=subscriber).order_by("-created_at", "-pk")


def issue_counts(*, issue: Issue) -> dict[str, int]:
    """Deliveries queued so far, and subscribed addresses still to reach."""
    queued = Delivery.objects.filter(issue=issue).count()
    subscribed = Subscriber.objects.filter(status=Subscriber.Status.SUBSCRIBED).aggregate(
        remaining=Count("pk", filter=~Q(deliveries__issue=issue))
    )
    return {"queued": queued, "remaining": int(subscribed["remaining"] or 0)}


def subscribed_count() -> int:
    return Subscriber.objects.filter(status=Subscriber.Status.SUBSCRIBED).count()


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def newsletter_export_for_user(user: User) -> dict[str, Any]:
    """Return everything the newsletter holds about the member, machine-readable (PV-9)."""
    subscriber = subscriber_for_user(user=user)
    if subscriber is None:
        return {"subscriber": None, "consent": [], "issues_received": []}
    deliveries = Delivery.objects.filter(subscriber=subscriber).select_related("issue").order_by("created_at", "pk")
    return {
        "subscriber": {
            "email": subscriber.email,
            "status": subscriber.status,
            "language": subscriber.language,
            "source": subscriber.source,
            "subscribed_at": _utc(subscriber.subscribed_at),
            "unsubscribed_at": _utc(subscriber.unsubscribed_at),
        },
        "consent": [
            {"action": event.action, "source": event.source, "at": _utc(event.created_at)}
            for event in consent_list(subscriber=subscriber).order_by("created_at", "pk")
        ],
        "issues_received": [
            {
                "subject": delivery.issue.subject(delivery.language),
                "language": delivery.language,
                "queued_at": _utc(delivery.created_at),
            }
            for delivery in deliveries
        ],
    }
