"""Acceptance of the terms: at registration, and acknowledging a new version (TM-1, PV-7)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from cloudmentor.accounts.models import User
from cloudmentor.accounts.services import user_terms_accept

from .. import selectors
from ..exceptions import TermsVersionOutdated
from ..models import PolicyAcceptance, PolicyKind


def acceptance_record_registration(*, user: User) -> None:
    """Keep in the history the version of the terms accepted at registration."""
    if user.terms_version is None:
        return
    PolicyAcceptance.objects.get_or_create(
        user=user,
        kind=PolicyKind.TERMS,
        version=user.terms_version,
        defaults={
            "accepted_at": user.terms_accepted_at or timezone.now(),
            "source": PolicyAcceptance.Source.REGISTRATION,
        },
    )


@transaction.atomic
def terms_acknowledge(*, user: User, version: int, now: datetime | None = None) -> PolicyAcceptance:
    """Record that the member read version `version` of the terms, the one in force.

    Raises TermsVersionOutdated when a newer version was published since the page was shown.
    """
    current = selectors.policy_current(kind=PolicyKind.TERMS)
    if current is None or current.version != version:
        raise TermsVersionOutdated
    now = now or timezone.now()
    if (
        user.terms_version is not None
        and not PolicyAcceptance.objects.filter(user=user, kind=PolicyKind.TERMS, version=user.terms_version).exists()
    ):
        acceptance_record_registration(user=user)
    acceptance, _created = PolicyAcceptance.objects.get_or_create(
        user=user,
        kind=PolicyKind.TERMS,
        version=version,
        defaults={"accepted_at": now, "source": PolicyAcceptance.Source.NOTICE},
    )
    user_terms_accept(user=user, version=version, accepted_at=acceptance.accepted_at)
    return acceptance
