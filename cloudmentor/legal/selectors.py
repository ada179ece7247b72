"""Reads of the legal app: policy versions, what pages show about them, members' acceptances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone

from cloudmentor.accounts.models import User
from cloudmentor.core import stamps

from .caching import CACHE_SECONDS, POLICIES_STAMP
from .models import PolicyAcceptance, PolicyDocument, PolicyKind

DEFAULT_BANNER_DAYS = 30


def banner_days() -> int:
    return int(getattr(settings, "LEGAL_PUBLICATION_BANNER_DAYS", DEFAULT_BANNER_DAYS))


def policy_current(*, kind: str, language: str | None = None) -> PolicyDocument | None:
    """Return the newest published version of `kind` (it holds every language).

    `language` is accepted for `ACCOUNTS_TERMS_LOOKUP`'s contract (decision 0006).
    """
    return PolicyDocument.objects.filter(kind=kind, published_at__lte=timezone.now()).order_by("-version").first()


def policy_version_list(*, kind: str) -> QuerySet[PolicyDocument]:
    """Return every published version of `kind`, newest first."""
    return (
        PolicyDocument.objects.filter(kind=kind, published_at__lte=timezone.now())
        .order_by("-version")
        .only("pk", "kind", "version", "published_at", "summary_fr", "summary_en")
    )


def policy_version_get(*, kind: str, version: int) -> PolicyDocument | None:
    return PolicyDocument.objects.filter(kind=kind, version=version, published_at__lte=timezone.now()).first()


def acceptance_list(*, user: Any) -> QuerySet[PolicyAcceptance]:
    """Return the versions of the policies the member accepted, newest first (PV-7)."""
    return PolicyAcceptance.objects.filter(user=user).order_by("-accepted_at", "-pk")


def members_to_notify(*, document: PolicyDocument, after_id: int, limit: int) -> list[User]:
    """Return the next `limit` members (by id) to tell about `document`.

    Every account that is not disabled and existed when the version was published (later
    accounts accepted it when they registered).
    """
    assert document.published_at is not None
    return list(
        User.objects.filter(pk__gt=after_id, is_active=True, date_joined__lt=document.published_at)
        .order_by("pk")
        .only("pk", "username", "email", "language")[:limit]
    )


# What every page shows: the banner of recent publications, the notice of new terms ----


@dataclass(frozen=True)
class Publication:
    """A published version, as the home page's banner shows it."""

    kind: str
    version: int
    published_at: datetime
    summary_fr: str
    summary_en: str

    @property
    def title(self) -> str:
        return str(PolicyKind(self.kind).label)

    def summary_in(self, language: str | None) -> str:
        return self.summary_en if language == "en" and self.summary_en else self.summary_fr

    def banner_ends_at(self, days: int) -> datetime:
        return self.published_at + timedelta(days=days)


@dataclass(frozen=True)
class PolicyState:
    """The terms in force and the versions published within the banner's window (when cached)."""

    terms_version: int | None
    recent: tuple[Publication, ...]


def _policy_state_build(days: int) -> PolicyState:
    """Read the terms in force and the recent publications in one query."""
    now = timezone.now()
    current_terms = (
        PolicyDocument.objects.filter(kind=PolicyKind.TERMS, published_at__lte=now)
        .order_by("-version")
        .values("pk")[:1]
    )
    # Version 1 is the text the site opened with: a banner announces a version that replaces another.
    recent = Q(published_at__gt=now - timedelta(days=days), version__gt=1)
    rows = list(
        PolicyDocument.objects.filter(recent | Q(pk=Subquery(current_terms)), published_at__lte=now)
        .order_by("-published_at", "-pk")
        .only("kind", "version", "published_at", "summary_fr", "summary_en")
    )
    terms = max((row.version or 0 for row in rows if row.kind == PolicyKind.TERMS), default=None)
    return PolicyState(
        terms_version=terms,
        recent=tuple(
            Publication(
                kind=row.kind,
                version=int(row.version or 0),
                published_at=row.published_at,
                summary_fr=row.summary_fr,
                summary_en=row.summary_en,
            )
            for row in rows
            if row.published_at is not None and (row.version or 0) > 1 and row.published_at > now - timedelta(days=days)
        ),
    )


def policy_state() -> PolicyState:
    """Return the cached `PolicyState`: no query while nothing is published."""
    days = banner_days()
    found = stamps.lookup(f"legal:state:{days}", POLICIES_STAMP)
    state: PolicyState | None = found.value
    if state is None:
        state = _policy_state_build(days)
        stamps.store(f"legal:state:{days}", state, found, CACHE_SECONDS)
    return state


def publication_banner_list(*, now: datetime | None = None) -> list[Publication]:
    """Return the publications whose banner shows now, newest first (TM-1).

    A banner shows for `LEGAL_PUBLICATION_BANNER_DAYS` after the publication, to the second.
    """
    now = now or timezone.now()
    days = banner_days()
    return [item for item in policy_state().recent if item.published_at <= now < item.banner_ends_at(days)]


def terms_notice_due(user: Any) -> bool:
    """Whether a logged-in member accepted an older version of the terms than the one in force."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "pk", None) is None:
        return False
    accepted = getattr(user, "terms_version", None)
    if accepted is None:
        # Nothing accepted to compare with: the "nobody" a shared page layout is rendered
        # for, or an account made by staff (staff accounts), not through registration.
        return False
    current = policy_state().terms_version
    return current is not None and accepted < current
