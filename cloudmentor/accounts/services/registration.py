"""Joining: a member account is created with its accepted terms (CK-5, PV-2, TM-1)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q

from cloudmentor.mailing.services import email_queue

from .. import events
from ..caching import user_changed
from ..exceptions import EmailTaken, UsernameTaken
from ..models import User
from .base import _link, _now


def user_register(
    *,
    username: str,
    email: str,
    password: str,
    terms_version: int | None,
    newsletter_opt_in: bool,
    language: str,
    ip: str | None = None,
    user_agent: str = "",
    welcome_email: bool = True,
) -> User:
    """Create a member account and queue the welcome email.

    Raises EmailTaken / UsernameTaken; two simultaneous registrations with one email
    give one account (the case-insensitive unique index decides).
    """
    now = _now()
    username = User.normalize_username(username)  # NFKC: "ａｌｉｃｅ" is "alice" (TR-7)
    try:
        with transaction.atomic():
            if User.objects.filter(email__iexact=email).exists():
                raise EmailTaken
            if User.objects.filter(username__iexact=username).exists():
                raise UsernameTaken
            user = User(
                username=username,
                email=email,
                language=language,
                terms_version=terms_version,
                terms_accepted_at=now,
                newsletter_opt_in=newsletter_opt_in,
                newsletter_opt_in_at=now if newsletter_opt_in else None,
                date_joined=now,
            )
            user.set_password(password)
            user.save()
            events.account_registered(user=user, ip=ip, user_agent=user_agent)
            if welcome_email:
                email_queue(
                    to=user.email,
                    template="accounts/emails/welcome",
                    context={"username": user.username, "account_url": _link("accounts:profile", language)},
                    language=language,
                )
    except IntegrityError as error:
        if User.objects.filter(email__iexact=email).exists():
            raise EmailTaken from error
        raise UsernameTaken from error
    return user


def user_terms_accept(*, user: User, version: int, accepted_at: datetime) -> None:
    """Record that the member accepted version `version` of the terms (TM-1; called by legal).

    Never goes back to an older version (a late double click keeps the newest).
    """
    updated = (
        User.objects.filter(pk=user.pk)
        .filter(Q(terms_version__isnull=True) | Q(terms_version__lt=version))
        .update(terms_version=version, terms_accepted_at=accepted_at)
    )
    if updated:
        user.terms_version, user.terms_accepted_at = version, accepted_at
        user_changed(user.pk)
