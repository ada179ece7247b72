"""Reads of the legal app: policy versions, what pages show about them, members' acceptances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from cloudmentor.accounts.models import User
from cloudmentor.accounts.roles import ROLES
from cloudmentor.billing.selectors import card_payment_processor
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


@dataclass(frozen=True)
class Processor:
    """A company that receives personal data to do a job for the platform (PV-6)."""

    key: str
    name: str
    job: str
    receives: str


@dataclass(frozen=True)
class PrivacyFacts:
    """What the privacy page says from the settings the code runs with, like the cookie table (CK-9)."""

    processors: list[Processor]
    roles: list[Any]
    backup_retention_days: int
    backups_encrypted: bool


def _email_processor() -> Processor | None:
    """The SMTP service the emails go out through (PV-13), named from EMAIL_HOST."""
    if not str(settings.EMAIL_BACKEND).endswith(".smtp.EmailBackend"):
        return None  # console, file or memory: nothing leaves the machine
    host = str(settings.EMAIL_HOST or "")
    if not host:
        return None
    is_gmail = host.endswith(("gmail.com", "googlemail.com"))
    return Processor(
        key="email",
        name=str(_("Gmail (Google), %(host)s") % {"host": host}) if is_gmail else host,
        job=str(_("envoi des e-mails (bienvenue, sécurité, factures, newsletter…)")),
        receives=str(_("votre adresse e-mail et le texte de chaque e-mail qui vous est envoyé")),
    )


def privacy_facts() -> PrivacyFacts:
    """Return the processors, the staff roles and the backup promise, read from settings now."""
    processors: list[Processor] = []
    if card_payment_processor() == "stripe":
        processors.append(
            Processor(
                key="payment",
                name="Stripe",
                job=str(_("paiement par carte des factures et des dons")),
                receives=str(
                    _(
                        "votre adresse e-mail, le montant et la description de ce que vous payez "
                        "(offre ou don) ; vous saisissez votre carte chez Stripe, jamais chez nous"
                    )
                ),
            )
        )
    email = _email_processor()
    if email is not None:
        processors.append(email)
    return PrivacyFacts(
        processors=processors,
        roles=list(ROLES),
        backup_retention_days=int(settings.OPERATIONS_BACKUP_RETENTION_DAYS),
        backups_encrypted=bool([key for key in settings.OPERATIONS_BACKUP_ENCRYPTION_KEY if key]),
    )
