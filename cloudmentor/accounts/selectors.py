"""Reads of the accounts app."""

from __future__ import annotations

from collections.abc import Collection

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import AccountEvent, AccountSession, User


def user_by_identifier(identifier: str) -> User | None:
    """Return the account a login identifier names: an email if it has an "@", else a username.

    Both compare case-insensitively; usernames cannot contain "@" (registration refuses it).
    """
    identifier = identifier.strip()
    if not identifier:
        return None
    if "@" in identifier:
        return User.objects.filter(email__iexact=identifier).first()
    return User.objects.filter(username__iexact=identifier).order_by("pk").first()


def user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).first()


def session_list(*, user: User) -> QuerySet[AccountSession]:
    """Return the member's open sessions, most recently seen first."""
    return AccountSession.objects.filter(user=user, expire_date__gt=timezone.now()).order_by("-last_seen_at", "-pk")


def event_list(*, user: User, limit: int = 20, kinds: Collection[str] | None = None) -> QuerySet[AccountEvent]:
    """Return the latest events of the account (only `kinds` if given), with their authors."""
    rows = AccountEvent.objects.filter(user=user)
    if kinds is not None:
        rows = rows.filter(kind__in=list(kinds))
    return rows.select_related("actor")[:limit]


def terms_version_current() -> int | None:
    """Return the version of the terms of use in force, or None if none is published.

    The terms belong to the ``legal`` app, a layer above: its selector is named by a
    dotted path in ``ACCOUNTS_TERMS_LOOKUP`` (like middleware, outside the import graph).
    """
    lookup = import_string(settings.ACCOUNTS_TERMS_LOOKUP)
    document = lookup(kind="terms", language=settings.LANGUAGE_CODE)
    version = getattr(document, "version", None)
    return int(version) if version is not None else None
