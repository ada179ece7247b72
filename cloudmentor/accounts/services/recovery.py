"""Getting an account back: the emailed reset link (CK-6) and the report of unauthorized use (PV-14)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from cloudmentor.mailing.services import email_queue

from .. import events
from ..models import User
from ..tokens import password_reset_link_token
from .base import _link, _now, _staff_alert
from .sessions import sessions_revoke_all


def password_recovery_send(*, user: User, language: str | None = None) -> None:
    """Email `user` a single-use link, valid ``PASSWORD_RESET_TIMEOUT`` seconds."""
    language = language or user.language
    email_queue(
        to=user.email,
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
def password_reset_complete(*, user: User, password: str, ip: str | None) -> None:
    """Set the new password; the link dies with the old password and every session ends."""
    user.set_password(password)
    user.save(update_fields=["password"])
    events.password_reset(user=user, ip=ip)
    sessions_revoke_all(user=user, actor=user, reason="password reset")


@transaction.atomic
def unauthorized_use_report(*, user: User, ip: str | None) -> None:
    """End every session, require a new password (link emailed) and alert staff."""
    user.set_unusable_password()
    user.save(update_fields=["password"])
    events.unauthorized_use_reported(user=user, ip=ip)
    sessions_revoke_all(user=user, actor=user, reason="unauthorized use reported")
    password_recovery_send(user=user)
    _staff_alert(
        template="accounts/emails/staff_unauthorized_use",
        context={"member": user.username, "email": user.email, "ip": ip or "?", "reported_at": _now()},
    )
