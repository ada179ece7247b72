"""Joining: a member account is created with its accepted terms (CK-5, PV-2, TM-1)."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q

from cloudmentor.core.throttle import throttle_take
from cloudmentor.mailing.services import email_queue

from .. import events
from ..caching import user_changed
from ..exceptions import EmailTaken, UsernameTaken
from ..limits import recovery_account_limits
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
    give one account (the unique index on the address's key decides). The caller never
    tells the visitor EmailTaken: `registration_attempt_notify` tells the address (TR-7).
    """
    now = _now()
    username = User.normalize_username(username)  # NFKC: "ａｌｉｃｅ" is "alice" (TR-7)
    email = unicodedata.normalize("NFKC", email).strip()
    key = User.normalize_email_key(email)
    try:
        with transaction.atomic():
            if User.objects.filter(email_key=key).exists():
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
        if User.objects.filter(email_key=key).exists():
            raise EmailTaken from error
        raise UsernameTaken from error
    return user


REGISTRATION_ATTEMPT_TEMPLATE = "accounts/emails/registration_attempt"


def registration_attempt_notify(*, email: str, plan_slug: str = "") -> bool:
    """Tell the owner of `email` that someone tried to register with it (TR-7, decision 0106).

    The page that was submitted answers "check your inbox" whether the address has an
    account or not; this email says the rest: log in, reset the password, or extend the
    account with the plan chosen (`plan_slug`, on the subscribe page). It shares the
    per-address limit of recovery emails, so nobody can flood a mailbox through the form.
    Returns whether an email was queued (False: no such account, erased, or over the limit).
    """
    user = User.objects.filter(email_key=User.normalize_email_key(email), erased_at__isnull=True).first()
    if user is None or throttle_take(*recovery_account_limits(email=user.email)) is not None:
        return False
    email_queue(
        to=user.email,
        template=REGISTRATION_ATTEMPT_TEMPLATE,
        context={
            "username": user.username,
            "login_url": _link("accounts:login", user.language),
            "forgot_url": _link("accounts:password_forgot", user.language),
            "plans_url": _link("billing:plans", user.language),
            "plan_url": _link("billing:subscribe", user.language, slug=plan_slug) if plan_slug else "",
        },
        language=user.language,
    )
    return True


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
