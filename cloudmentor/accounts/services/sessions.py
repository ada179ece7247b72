"""Login, logout and devices: the sessions and the account cookie's lifetime (CK-3, CK-4, CK-7, TM-6, TM-9)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import HttpRequest

from cloudmentor.core.http import client_ip, network_of, user_agent_of

from .. import events
from ..caching import user_changed
from ..exceptions import AccountDisabled, AccountLocked, InvalidCredentials
from ..models import AccountEvent, AccountSession, SecurityNotice, User
from ..selectors import user_by_identifier
from ..signals import password_login_checked
from .base import _now, _staff_alert

BACKEND = "cloudmentor.accounts.backends.UsernameOrEmailBackend"


# Session key holding what the expiry was computed from, to follow billing's changes.
EXPIRY_BASIS_KEY = "_cm_expiry_basis"
# Session key holding the page (a local path) logout leads to; set by the login path that
# knows better than the home page (single sign-on offers the company's sign-out there).
AFTER_LOGOUT_KEY = "_cm_after_logout"


def group_access_end(user: Any) -> datetime | None:
    """Return the paid-up date of the group `user` belongs to (owner or member), or None.

    No query for the account a request loaded (the backend selects its membership and
    group with it); one for an account loaded otherwise.
    """
    try:
        membership = user.group_membership
    except (ObjectDoesNotExist, AttributeError):
        return None
    ends_at: datetime | None = membership.group.access_ends_at
    return ends_at


def account_validity_end(user: Any) -> datetime | None:
    """Return the end of the account's validity: its own paid-up date or its group's, the later (CK-4)."""
    ends = [end for end in (getattr(user, "access_ends_at", None), group_access_end(user)) if end is not None]
    return max(ends) if ends else None


def expiry_basis(user: Any) -> str:
    ends_at = account_validity_end(user)
    return ends_at.isoformat() if ends_at else ""


def session_expiry_for(*, user: User) -> datetime:
    """Return when the account cookie and its session end.

    The end of the account's validity when it is in the future — its own paid-up date or
    its group's, for the owner and the members alike (CK-4, decision 0107); otherwise (no
    end date, or already past so that the member can still log in to pay or read their
    data) ``ACCOUNTS_SESSION_CAP_DAYS`` from now.
    """
    now = _now()
    ends_at = account_validity_end(user)
    if ends_at is not None and ends_at > now:
        return ends_at
    return now + timedelta(days=int(settings.ACCOUNTS_SESSION_CAP_DAYS))


def session_expiry_apply(*, session: SessionBase, user: User) -> None:
    session.set_expiry(session_expiry_for(user=user))
    session[EXPIRY_BASIS_KEY] = expiry_basis(user)


# Hashed once, checked against when the account does not exist, so that an unknown
# username costs the same time as a wrong password.
_DUMMY_PASSWORD: list[str] = []


def _dummy_hash() -> str:
    if not _DUMMY_PASSWORD:
        _DUMMY_PASSWORD.append(make_password("cloudmentor-dummy-password"))
    return _DUMMY_PASSWORD[0]


def credentials_check(*, identifier: str, password: str, ip: str | None = None, user_agent: str = "") -> User:
    """Return the active account these credentials open.

    Raises InvalidCredentials, or AccountDisabled when the password is right but the
    account is disabled (it then gets nothing else: no session), or AccountLocked (an
    AccountDisabled) when unauthorized use was reported and no new password set since, or
    PasswordLoginRefused when an app above refuses passwords for this account (`signals`).
    """
    user = user_by_identifier(identifier)
    if user is None:
        check_password(password, _dummy_hash())
        raise InvalidCredentials
    if not user.check_password(password):
        raise InvalidCredentials
    if not user.is_active:
        events.account_login_refused_disabled(user=user, ip=ip, user_agent=user_agent)
        raise AccountDisabled
    if user.locked_at is not None:
        events.account_login_refused_locked(user=user, ip=ip, user_agent=user_agent)
        raise AccountLocked
    password_login_checked.send(sender=User, user=user)
    return user


def session_start(*, request: HttpRequest, user: User, new_device_notice: bool = True) -> None:
    """Log `user` in on this device: new session key, account cookie until validity end.

    A device (browser and OS families) this account never logged in from gets an
    « Était-ce vous ? » email (TR-4), unless `new_device_notice` is False (the caller already
    sent one, e.g. the password reset). Then keep at most ``ACCOUNTS_MAX_SESSIONS`` sessions
    (the oldest end) and look for signs of a shared account.
    """
    from .security import device_is_new, security_notice_send

    login(request, user, backend=BACKEND)  # cycles the session key (no fixation)
    session_expiry_apply(session=request.session, user=user)
    request.session.save()
    ip = client_ip(request)
    user_agent = user_agent_of(request)
    if new_device_notice and device_is_new(user=user, user_agent=user_agent):
        security_notice_send(user=user, kind=SecurityNotice.Kind.NEW_DEVICE, ip=ip, user_agent=user_agent)
    events.account_logged_in(user=user, ip=ip, user_agent=user_agent)
    sessions_enforce_cap(user=user, keep_session_key=request.session.session_key or "")
    sharing_check(user=user)


def session_end(*, request: HttpRequest) -> None:
    """End this device's session only; the cookie is deleted by the session middleware."""
    logout(request)


def _live_sessions(user: User) -> QuerySet[AccountSession]:
    return AccountSession.objects.filter(user=user, expire_date__gt=_now())


def sessions_enforce_cap(*, user: User, keep_session_key: str) -> int:
    """End the oldest sessions beyond ``ACCOUNTS_MAX_SESSIONS``; return how many ended."""
    cap = int(settings.ACCOUNTS_MAX_SESSIONS)
    keys = list(_live_sessions(user).order_by("-created_at", "-pk").values_list("session_key", flat=True))
    excess = [key for key in keys if key != keep_session_key][max(cap - 1, 0) :]
    if not excess:
        return 0
    deleted, _detail = AccountSession.objects.filter(session_key__in=excess).delete()
    events.sessions_revoked(user=user, actor=None, count=deleted, reason="cap")
    return deleted


def sharing_check(*, user: User) -> bool:
    """Flag the account for staff when seen from too many devices or networks in a day."""
    since = _now() - timedelta(days=1)
    logins = AccountEvent.objects.filter(user=user, kind=AccountEvent.Kind.LOGIN, created_at__gte=since)
    devices = {(browser, os) for browser, os in logins.values_list("browser", "os")}
    networks = {network_of(ip) for ip in logins.values_list("ip", flat=True) if ip}
    too_many = len(devices) > int(settings.ACCOUNTS_SHARING_MAX_DEVICES_PER_DAY) or len(networks) > int(
        settings.ACCOUNTS_SHARING_MAX_NETWORKS_PER_DAY
    )
    if not too_many:
        return False
    if user.sharing_flagged_at is not None and user.sharing_flagged_at >= since:
        return True  # already flagged today: staff were told once
    user.sharing_flagged_at = _now()
    user.save(update_fields=["sharing_flagged_at"])
    reason = f"{len(devices)} devices, {len(networks)} networks in 24 h"
    events.sharing_flagged(user=user, reason=reason)
    _staff_alert(template="accounts/emails/staff_sharing", context={"member": user.username, "reason": reason})
    return True


def session_revoke(*, user: User, device_id: str) -> bool:
    """End one session of `user` (named by its public id); return whether one ended."""
    deleted, _detail = AccountSession.objects.filter(user=user, device_id=device_id).delete()
    return bool(deleted)


def sessions_revoke_all(*, user: User, actor: User | None, reason: str, except_session_key: str = "") -> int:
    """End every session of `user` (but `except_session_key`); they are gone at their next request."""
    deleted, _detail = AccountSession.objects.filter(user=user).exclude(session_key=except_session_key).delete()
    if deleted:
        events.sessions_revoked(user=user, actor=actor, count=deleted, reason=reason)
    return deleted


def user_set_access_end(*, user: User, ends_at: datetime | None) -> None:
    """Record the end of the account's validity (billing keeps it equal to its last period's end).

    Each open session follows at its next request: the session middleware re-applies the
    expiry when this value changes, so the account cookie lives until the new end (CK-4).
    """
    User.objects.filter(pk=user.pk).update(access_ends_at=ends_at)
    user.access_ends_at = ends_at
    user_changed(user.pk)
