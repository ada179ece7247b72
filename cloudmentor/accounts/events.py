"""Audit writers: one function per thing that happens to an account."""

from __future__ import annotations

from cloudmentor.core.http import parse_user_agent

from .models import AccountEvent, User
from .signals import member_email_changed, member_registered


def _record(
    *, user: User, kind: str, actor: User | None = None, reason: str = "", ip: str | None = None, user_agent: str = ""
) -> AccountEvent:
    summary = parse_user_agent(user_agent) if user_agent else None
    return AccountEvent.objects.create(
        user=user,
        kind=kind,
        actor=actor,
        reason=reason,
        ip=ip or None,
        browser=summary.browser if summary else "",
        os=summary.os if summary else "",
    )


def account_registered(*, user: User, ip: str | None, user_agent: str) -> AccountEvent:
    event = _record(user=user, kind=AccountEvent.Kind.REGISTERED, actor=user, ip=ip, user_agent=user_agent)
    member_registered.send(sender=User, user=user)
    return event


def account_logged_in(*, user: User, ip: str | None, user_agent: str) -> AccountEvent:
    return _record(user=user, kind=AccountEvent.Kind.LOGIN, actor=user, ip=ip, user_agent=user_agent)


def account_login_refused_disabled(*, user: User, ip: str | None, user_agent: str) -> AccountEvent:
    return _record(user=user, kind=AccountEvent.Kind.LOGIN_REFUSED_DISABLED, ip=ip, user_agent=user_agent)


def password_changed(*, user: User, ip: str | None) -> AccountEvent:
    return _record(user=user, kind=AccountEvent.Kind.PASSWORD_CHANGED, actor=user, ip=ip)


def password_reset(*, user: User, ip: str | None) -> AccountEvent:
    return _record(user=user, kind=AccountEvent.Kind.PASSWORD_RESET, actor=user, ip=ip)


def email_changed(*, user: User, old_email: str, actor: User | None) -> AccountEvent:
    event = _record(user=user, kind=AccountEvent.Kind.EMAIL_CHANGED, actor=actor, reason=f"{old_email} → {user.email}")
    member_email_changed.send(sender=User, user=user, old_email=old_email)
    return event


def username_changed(*, user: User, old_username: str, actor: User | None) -> AccountEvent:
    return _record(
        user=user, kind=AccountEvent.Kind.USERNAME_CHANGED, actor=actor, reason=f"{old_username} → {user.username}"
    )


def sessions_revoked(*, user: User, actor: User | None, count: int, reason: str) -> AccountEvent:
    return _record(user=user, kind=AccountEvent.Kind.SESSIONS_REVOKED, actor=actor, reason=f"{count} — {reason}")


def account_login_refused_locked(*, user: User, ip: str | None, user_agent: str) -> AccountEvent:
    return _record(user=user, kind=AccountEvent.Kind.LOGIN_REFUSED_LOCKED, ip=ip, user_agent=user_agent)


def unauthorized_use_reported(*, user: User, ip: str | None, reason: str = "") -> AccountEvent:
    """`reason` names where it came from: the account page, or the email whose link was followed."""
    return _record(user=user, kind=AccountEvent.Kind.UNAUTHORIZED_USE_REPORTED, actor=user, ip=ip, reason=reason)


def second_factor_changed(*, user: User, actor: User | None, reason: str) -> AccountEvent:
    return _record(user=user, kind=AccountEvent.Kind.SECOND_FACTOR_CHANGED, actor=actor, reason=reason)


def sharing_flagged(*, user: User, reason: str) -> AccountEvent:
    return _record(user=user, kind=AccountEvent.Kind.SHARING_FLAGGED, reason=reason)


def account_disabled(*, user: User, actor: User | None, reason: str) -> AccountEvent:
    return _record(user=user, kind=AccountEvent.Kind.DISABLED, actor=actor, reason=reason)


def account_enabled(*, user: User, actor: User | None, reason: str) -> AccountEvent:
    return _record(user=user, kind=AccountEvent.Kind.ENABLED, actor=actor, reason=reason)


def data_exported(*, user: User, ip: str | None, user_agent: str) -> AccountEvent:
    return _record(user=user, kind=AccountEvent.Kind.DATA_EXPORTED, actor=user, ip=ip, user_agent=user_agent)


def account_erased(*, user: User, actor: User | None, reason: str) -> AccountEvent:
    """The erasure record: no address, no device, no personal data (PV-10)."""
    return _record(user=user, kind=AccountEvent.Kind.ERASED, actor=actor, reason=reason)
