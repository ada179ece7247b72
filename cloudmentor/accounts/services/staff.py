"""What staff do to accounts (disable, enable: TM-6) and the staff's own second factor (django-otp)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest

from cloudmentor.core.http import client_ip, user_agent_of

from .. import events
from ..caching import user_changed
from ..models import Group, SecurityNotice, User
from .groups import group_members_changed
from .sessions import sessions_revoke_all


@transaction.atomic
def user_disable(*, user: User, actor: User | None, reason: str) -> None:
    """Disable the account; every session of it ends at its next request (rows deleted)."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    user.is_active = False
    user_changed(user.pk)
    _owned_group_changed(user)
    events.account_disabled(user=user, actor=actor, reason=reason)
    sessions_revoke_all(user=user, actor=actor, reason="account disabled")


@transaction.atomic
def user_enable(*, user: User, actor: User | None, reason: str) -> None:
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.is_active = True
    user_changed(user.pk)
    _owned_group_changed(user)
    events.account_enabled(user=user, actor=actor, reason=reason)


def _owned_group_changed(owner: User) -> None:
    # A group's access follows its owner's account (TM-2, TM-6): its members' levels change too.
    group = Group.objects.filter(owner=owner).first()
    if group is not None:
        group_members_changed(group=group)


@transaction.atomic
def staff_user_create(*, username: str, email: str, password: str) -> User:
    """Create a staff superuser (demo content, operators' first account): an administrator (TR-1)."""
    from django.contrib.auth.models import Group as RoleGroup

    from ..roles import ADMINISTRATOR

    user = User.objects.create_superuser(username=username, email=email, password=password)
    user.groups.add(*RoleGroup.objects.filter(name=ADMINISTRATOR))
    return user


@transaction.atomic
def staff_member_create(*, username: str, email: str, password: str, role: str) -> User:
    """Create a staff account holding one role of accounts.roles, never a superuser (TR-1)."""
    from django.contrib.auth.models import Group as RoleGroup

    user = User.objects.create_user(username=username, email=email, password=password, is_staff=True)
    user.groups.add(RoleGroup.objects.get(name=role))
    return user


@transaction.atomic
def staff_totp_device_create(*, user: User, key_hex: str | None = None, name: str = "TOTP") -> Any:
    """Give a staff member a confirmed TOTP device (django-otp); return it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    options: dict[str, Any] = {"user": user, "name": name, "confirmed": True}
    if key_hex:
        options["key"] = key_hex
    return TOTPDevice.objects.create(**options)


@transaction.atomic
def staff_totp_devices_reset(*, user: User) -> Any:
    """Replace every TOTP device of a staff member with a new confirmed one; return it.

    The staff member is told by email, with a « Ce n'était pas moi » link (TR-4).
    """
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    device = staff_totp_device_create(user=user)
    _second_factor_changed(user=user, reason="reset", ip=None, user_agent="")
    return device


def _second_factor_changed(*, user: User, reason: str, ip: str | None, user_agent: str) -> None:
    from .security import security_notice_send

    events.second_factor_changed(user=user, actor=None if reason == "reset" else user, reason=reason)
    if user.is_staff:
        security_notice_send(user=user, kind=SecurityNotice.Kind.SECOND_FACTOR_CHANGED, ip=ip, user_agent=user_agent)


def staff_totp_device_start(*, user: User) -> Any:
    """Return the staff member's unconfirmed device, created if needed (enrolment step 1)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)


def staff_totp_device_confirm(*, request: HttpRequest, device: Any, token: str) -> bool:
    """Confirm an enrolment with a first code and mark this session verified."""
    from django_otp import login as otp_login

    if not device.verify_token(token):
        return False
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        _second_factor_changed(
            user=device.user, reason="enrolled", ip=client_ip(request), user_agent=user_agent_of(request)
        )
    otp_login(request, device)
    return True


def staff_otp_verify(*, request: HttpRequest, user: User, token: str) -> bool:
    """Check a code of one of the staff member's devices; mark this session verified."""
    from django_otp import login as otp_login
    from django_otp import match_token

    device = match_token(user, token)
    if device is None:
        return False
    otp_login(request, device)
    return True
