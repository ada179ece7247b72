"""Getting an account back: the emailed reset link (CK-6) and the report of unauthorized use (PV-14)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from cloudmentor.mailing.services import email_queue

from .. import events
from ..models import SecurityNotice, User
from ..tokens import password_reset_link_token
from .base import _link
from .sessions import sessions_revoke_all


def password_recovery_send(*, user: User, language: str | None = None, to: str | None = None) -> None:
    """Email `user` (at `to`, by default their address) a single-use link, valid ``PASSWORD_RESET_TIMEOUT`` seconds."""
    language = language or user.language
    email_queue(
        to=to or user.email,
        template="accounts/emails/password_reset",
        context={
            "username": user.username,
            "reset_url": _link("accounts:password_reset", language, token=password_reset_link_token(user)),
            "valid_minutes": int(settings.PASSWORD_RESET_TIMEOUT) // 60,
        },
        language=language,
    )


@transaction.atomic
def password_recovery_request(*, user: User | None, language: str) -> None:
    """Send the link to an active account; do nothing (silently) for any other address."""
    if user is not None and user.is_active:
        password_recovery_send(user=user, language=language)


@transaction.atomic
def password_reset_complete(*, user: User, password: str, ip: str | None, user_agent: str = "") -> None:
    """Set the new password and re-open a blocked account; the link dies with the old password,
    every session ends, and the member is told (TR-4)."""
    from .security import security_notice_send

    user.set_password(password)
    user.locked_at = None
    user.save(update_fields=["password", "locked_at"])
    events.password_reset(user=user, ip=ip)
    sessions_revoke_all(user=user, actor=user, reason="password reset")
    security_notice_send(user=user, kind=SecurityNotice.Kind.PASSWORD_RESET, ip=ip, user_agent=user_agent)


@transaction.atomic
def unauthorized_use_report(*, user: User, ip: str | None) -> None:
    """End every session, block the account until a new password (link emailed), alert staff."""
    from .security import account_lock

    account_lock(user=user, ip=ip, source="account page")
