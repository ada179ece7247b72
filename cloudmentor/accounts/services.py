"""Every write of the accounts app: registration, login, sessions, recovery, profile, staff."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.sessions.backends.base import SessionBase
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cloudmentor.core import personal_data
from cloudmentor.core.http import client_ip, network_of, user_agent_of
from cloudmentor.mailing.services import email_queue

from . import events
from .caching import user_changed
from .exceptions import (
    AccountDisabled,
    AlreadyErased,
    AlreadyInGroup,
    EmailTaken,
    GroupError,
    GroupHasMembers,
    InvalidCredentials,
    InvalidToken,
    InvitationForAnotherEmail,
    InvitationInvalid,
    InvitationPending,
    NoSeatLeft,
    NotGroupOwner,
    OwnerCannotLeave,
    StaffAccountErasure,
    UsernameTaken,
    YouAreInAGroup,
)
from .models import AccountEvent, AccountSession, Group, GroupInvitation, GroupMembership, User
from .selectors import user_by_identifier
from .tokens import email_change_payload, email_change_token, password_reset_link_token

BACKEND = "cloudmentor.accounts.backends.UsernameOrEmailBackend"
# Session key holding what the expiry was computed from, to follow billing's changes.
EXPIRY_BASIS_KEY = "_cm_expiry_basis"


def _now() -> datetime:
    return timezone.now()


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _link(name: str, language: str, **kwargs: Any) -> str:
    with translation.override(language):
        return _absolute(reverse(name, kwargs=kwargs or None))


def _staff_alert(*, template: str, context: Mapping[str, Any]) -> None:
    for address in settings.STAFF_ALERT_EMAILS:
        email_queue(to=address, template=template, context=context, language=settings.LANGUAGE_CODE)


# Account cookie lifetime (CK-4) --------------------------------------------------------


def expiry_basis(user: Any) -> str:
    ends_at = getattr(user, "access_ends_at", None)
    return ends_at.isoformat() if ends_at else ""


def session_expiry_for(*, user: User) -> datetime:
    """Return when the account cookie and its session end.

    The end of the account's validity when it is in the future; otherwise (no end date,
    or already past so that the member can still log in to pay or read their data)
    ``ACCOUNTS_SESSION_CAP_DAYS`` from now.
    """
    now = _now()
    if user.access_ends_at is not None and user.access_ends_at > now:
        return user.access_ends_at
    return now + timedelta(days=int(settings.ACCOUNTS_SESSION_CAP_DAYS))


def session_expiry_apply(*, session: SessionBase, user: User) -> None:
    session.set_expiry(session_expiry_for(user=user))
    session[EXPIRY_BASIS_KEY] = expiry_basis(user)


# Registration (CK-5, PV-2, TM-1) --------------------------------------------------------


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


# Login and sessions (CK-3, CK-4, CK-7, TM-6, TM-9) --------------------------------------

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
    account is disabled (it then gets nothing else: no session).
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
    return user


def session_start(*, request: HttpRequest, user: User) -> None:
    """Log `user` in on this device: new session key, account cookie until validity end.

    Then keep at most ``ACCOUNTS_MAX_SESSIONS`` sessions (the oldest end) and look for
    signs of a shared account.
    """
    login(request, user, backend=BACKEND)  # cycles the session key (no fixation)
    session_expiry_apply(session=request.session, user=user)
    request.session.save()
    ip = client_ip(request)
    events.account_logged_in(user=user, ip=ip, user_agent=user_agent_of(request))
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


# Password recovery (CK-6) ---------------------------------------------------------------


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
def password_change(*, request: HttpRequest, user: User, password: str) -> None:
    """Change the password; this device stays logged in, the others are logged out."""
    user.set_password(password)
    user.save(update_fields=["password"])
    update_session_auth_hash(request, user)
    events.password_changed(user=user, ip=client_ip(request))
    sessions_revoke_all(
        user=user, actor=user, reason="password change", except_session_key=request.session.session_key or ""
    )


# Profile (PV-7) -------------------------------------------------------------------------


@transaction.atomic
def username_change(*, user: User, username: str, actor: User | None) -> User:
    if username == user.username:
        return user
    old = _identity_field_set(user=user, field="username", value=username, taken=UsernameTaken)
    events.username_changed(user=user, old_username=old, actor=actor)
    return user


def _identity_field_set(*, user: User, field: str, value: str, taken: type[Exception]) -> str:
    """Set the username or email (unique whatever the case) and return the old value.

    The look-up gives the clear error; the unique constraint still decides a race.
    """
    if User.objects.filter(**{f"{field}__iexact": value}).exclude(pk=user.pk).exists():
        raise taken
    old = str(getattr(user, field))
    setattr(user, field, value)
    try:
        with transaction.atomic():
            user.save(update_fields=[field])
    except IntegrityError as error:
        setattr(user, field, old)
        raise taken from error
    return old


@transaction.atomic
def email_change_request(*, user: User, new_email: str, language: str) -> None:
    """Send a confirmation link to the new address; nothing changes until it is followed."""
    if User.objects.filter(email__iexact=new_email).exclude(pk=user.pk).exists():
        raise EmailTaken
    email_queue(
        to=new_email,
        template="accounts/emails/email_change",
        context={
            "username": user.username,
            "confirm_url": _link(
                "accounts:email_confirm", language, token=email_change_token(user=user, new_email=new_email)
            ),
            "valid_hours": int(settings.ACCOUNTS_EMAIL_CHANGE_SECONDS) // 3600,
        },
        language=language,
    )


def email_change_target(*, user: User, token: str) -> str:
    """Return the new email a confirmation link is for; raise InvalidToken if it is not valid."""
    payload = email_change_payload(token)
    if payload is None or payload.get("u") != user.pk or payload.get("old") != user.email:
        raise InvalidToken
    return str(payload["new"])


@transaction.atomic
def email_change_confirm(*, user: User, token: str) -> User:
    """Apply a confirmed email change (kills pending reset links: the email is in their hash)."""
    new_email = email_change_target(user=user, token=token)
    old = _identity_field_set(user=user, field="email", value=new_email, taken=EmailTaken)
    events.email_changed(user=user, old_email=old, actor=user)
    return user


# Unauthorized use (PV-14) ---------------------------------------------------------------


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


# Personal data: export (PV-9) and erasure (PV-10) ----------------------------------------


def account_data_export(*, user: User, ip: str | None, user_agent: str) -> Iterator[bytes]:
    """Record the download in the account history (PV-3), then return the JSON file in pieces.

    Every app's section comes from the registry (`core.personal_data`); the request log
    is read row by row while the pieces are sent, never held in memory.
    """
    events.data_exported(user=user, ip=ip, user_agent=user_agent)
    document = personal_data.export_document(subject=personal_data.Subject.of(user), generated_at=_now())
    return personal_data.stream_json_chunks(document)


def _erasure_summary(outcomes: list[personal_data.SectionOutcome]) -> str:
    """Return the counts of an erasure, as keys and numbers only (the record holds no personal data)."""

    def part(items: list[personal_data.Item], section: str) -> list[str]:
        return [f"{section}.{item.key}={'' if item.count is None else item.count}" for item in items]

    erased = [entry for o in outcomes for entry in part(o.outcome.erased, o.section.key)]
    kept = [entry for o in outcomes for entry in part(o.outcome.kept, o.section.key)]
    return f"erased: {' '.join(erased)}; kept: {' '.join(kept)}"


@transaction.atomic
def account_erase(*, user: User, actor: User | None, reason: str = "") -> list[personal_data.SectionOutcome]:
    """Erase the member's personal data in every app, keeping only what must be kept (PV-10).

    All or nothing: the erasers of every app run in this transaction, in the registry's
    order, the account itself last (sessions ended, anonymised, disabled). Then the
    erasure record is written and one last email, listing what was erased and kept, is
    queued to the former address (scrubbed from the outbox once sent).

    Raises AlreadyErased on a second call (nothing changes), StaffAccountErasure for a
    staff account (another staff member removes its rights first), GroupHasMembers for
    the owner of a group that still has members (they remove them first).
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.erased_at is not None:
        raise AlreadyErased
    if locked.is_staff or locked.is_superuser:
        raise StaffAccountErasure
    if GroupMembership.objects.filter(group__owner=locked).exclude(user=locked).exists():
        raise GroupHasMembers  # the members' access depends on the group: the owner removes them first
    subject = personal_data.Subject.of(locked)
    outcomes = personal_data.erase_all(subject=subject)
    by_staff = actor is not None and actor.pk != locked.pk
    who = "staff" if by_staff else "member"
    asked = f"{who}: {reason.strip()}" if reason.strip() else who
    events.account_erased(user=locked, actor=actor, reason=f"{asked} — {_erasure_summary(outcomes)}")
    email_queue(
        to=subject.email,
        template=ERASED_EMAIL_TEMPLATE,
        context={"username": subject.username, "outcomes": outcomes, "by_staff": by_staff},
        language=subject.language,
    )
    user.refresh_from_db()
    return outcomes


ERASED_EMAIL_TEMPLATE = "accounts/emails/erased"


# Staff (TM-6, PV-7) ---------------------------------------------------------------------


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


def user_set_access_end(*, user: User, ends_at: datetime | None) -> None:
    """Record the end of the account's validity (billing keeps it equal to its last period's end).

    Each open session follows at its next request: the session middleware re-applies the
    expiry when this value changes, so the account cookie lives until the new end (CK-4).
    """
    User.objects.filter(pk=user.pk).update(access_ends_at=ends_at)
    user.access_ends_at = ends_at
    user_changed(user.pk)


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


@transaction.atomic
def staff_user_create(*, username: str, email: str, password: str) -> User:
    """Create a staff superuser (demo content, operators' first account)."""
    return User.objects.create_superuser(username=username, email=email, password=password)


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
    """Replace every TOTP device of a staff member with a new confirmed one; return it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    return staff_totp_device_create(user=user)


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
    device.confirmed = True
    device.save(update_fields=["confirmed"])
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


# Groups (PV-1, TM-2) ----------------------------------------------------------------------
# The owner is a member of their own group; seats count the owner (docs/decisions/0060).
# Lock order: the group row, then invitations and memberships.


def _group_locked(group_id: int) -> Group:
    return Group.objects.select_for_update(of=("self",)).select_related("owner").get(pk=group_id)


def group_members_changed(*, group: Group) -> None:
    """Make every member's cached account (and what depends on it: access level) stale."""
    for user_id in GroupMembership.objects.filter(group=group).values_list("user_id", flat=True):
        user_changed(user_id)


@transaction.atomic
def group_create(*, owner: User, name: str = "") -> Group:
    """Create a group owned by `owner`, who becomes its first member.

    Raises YouAreInAGroup when the owner already belongs to a group (theirs or another).
    """
    if GroupMembership.objects.filter(user=owner).exists():
        raise YouAreInAGroup
    name = name.strip() or str(_("Groupe de %(username)s") % {"username": owner.username})
    try:
        with transaction.atomic():
            group = Group.objects.create(name=name[:100], owner=owner)
            GroupMembership.objects.create(group=group, user=owner)
    except IntegrityError as error:  # created at the same moment by another request
        raise YouAreInAGroup from error
    user_changed(owner.pk)
    return group


@transaction.atomic
def group_for_owner(*, owner: User, name: str = "") -> Group:
    """Return the group `owner` owns, created (named `name`) if they have none (a group plan is being bought).

    Raises YouAreInAGroup when they are a member of someone else's group.
    """
    group = Group.objects.filter(owner=owner).first()
    if group is not None:
        return group
    return group_create(owner=owner, name=name)


@transaction.atomic
def group_set_seats(*, group: Group, seats: int) -> Group:
    """Set how many people the group may hold, owner included (billing, from the plan bought)."""
    locked = _group_locked(group.pk)
    locked.seats = max(int(seats), 1)
    locked.save(update_fields=["seats"])
    group.seats = locked.seats
    return group


def _check_owner(group: Group, actor: User) -> None:
    if group.owner_id != actor.pk:
        raise NotGroupOwner


def invitation_token_hash(token: str) -> str:
    """Return what is stored of an invitation token: its SHA-256 (the token itself is only in the email)."""
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def group_invite(*, group: Group, actor: User, email: str, language: str) -> GroupInvitation:
    """Invite `email` to the group and email them a single-use link (owner only).

    Refused (nothing written, nothing sent) for a member of the group, an address with a
    pending invitation, or when members and pending invitations already fill the seats.
    """
    locked = _group_locked(group.pk)
    _check_owner(locked, actor)
    email = email.strip()
    now = _now()
    if GroupMembership.objects.filter(group=locked, user__email__iexact=email).exists():
        raise AlreadyInGroup
    pending = GroupInvitation.objects.filter(group=locked, accepted_at__isnull=True, revoked_at__isnull=True)
    # An expired invitation frees its address and its seat.
    pending.filter(expires_at__lte=now).update(revoked_at=now)
    if pending.filter(email__iexact=email).exists():
        raise InvitationPending
    if locked.memberships.count() + pending.count() >= locked.seats:
        raise NoSeatLeft
    token = secrets.token_hex(32)  # 64 hex digits: the request log redacts it (analytics.redaction)
    invitation = GroupInvitation.objects.create(
        group=locked,
        email=email,
        token_hash=invitation_token_hash(token),
        invited_by=actor,
        created_at=now,
        expires_at=now + timedelta(days=int(settings.ACCOUNTS_GROUP_INVITATION_DAYS)),
    )
    email_queue(
        to=email,
        template="accounts/emails/group_invitation",
        context={
            "owner": actor.username,
            "group": locked.name,
            "join_url": _link("accounts:group_join", language, token=token),
            "expires_at": invitation.expires_at,
        },
        language=language,
    )
    return invitation


@transaction.atomic
def group_invitation_revoke(*, group: Group, actor: User, invitation_id: int) -> None:
    """Cancel a pending invitation (owner only): its link stops working at once."""
    locked = _group_locked(group.pk)
    _check_owner(locked, actor)
    updated = GroupInvitation.objects.filter(
        pk=invitation_id, group=locked, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=_now())
    if not updated:
        raise InvitationInvalid


@transaction.atomic
def group_join(*, user: User, token: str) -> Group:
    """Make `user` a member of the group an invitation link names; the link is used up.

    Raises InvitationInvalid (unknown, expired, used, revoked), InvitationForAnotherEmail,
    YouAreInAGroup, NoSeatLeft; nothing is changed then.
    """
    invitation = GroupInvitation.objects.filter(token_hash=invitation_token_hash(token)).first()
    if invitation is None:
        raise InvitationInvalid
    group = _group_locked(invitation.group_id)
    invitation = GroupInvitation.objects.select_for_update().get(pk=invitation.pk)
    now = _now()
    if not invitation.is_pending(now):
        raise InvitationInvalid
    if invitation.email.lower() != user.email.lower():
        raise InvitationForAnotherEmail
    if GroupMembership.objects.filter(user=user).exists():
        raise YouAreInAGroup
    if group.memberships.count() >= group.seats:
        raise NoSeatLeft
    GroupMembership.objects.create(group=group, user=user, joined_at=now)
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    user_changed(user.pk)
    return group


@transaction.atomic
def group_member_remove(*, group: Group, actor: User, user_id: int) -> None:
    """Remove a member (owner only; the owner is never removed this way)."""
    locked = _group_locked(group.pk)
    _check_owner(locked, actor)
    if user_id == locked.owner_id:
        raise OwnerCannotLeave
    deleted, _rows = GroupMembership.objects.filter(group=locked, user_id=user_id).delete()
    if not deleted:
        raise GroupError
    user_changed(user_id)


@transaction.atomic
def group_leave(*, user: User) -> None:
    """Leave the group `user` belongs to (a member, not the owner)."""
    membership = GroupMembership.objects.filter(user=user).select_related("group").first()
    if membership is None:
        raise GroupError
    locked = _group_locked(membership.group_id)
    if locked.owner_id == user.pk:
        raise OwnerCannotLeave
    GroupMembership.objects.filter(pk=membership.pk).delete()
    user_changed(user.pk)
