"""« Était-ce vous ? » (TR-4, PV-14): security emails, and the account lock their link sets off.

Each security-relevant change sends the member an email saying what happened, when and
from where, with a single-use « Ce n'était pas moi » link that works logged out
(docs/decisions/0101-security-emails-and-the-not-me-link.md). Following it ends every
session, blocks the account until a password reset through the emailed link, gives the
account back to the address the email went to, and alerts staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction

from cloudmentor.core.http import network_of, parse_user_agent
from cloudmentor.mailing.services import email_queue

from .. import events
from ..exceptions import EmailTaken, SecurityLinkExpired, SecurityLinkInvalid, SecurityLinkUsed
from ..models import AccountEvent, SecurityNotice, User
from ..tokens import SecurityLinkExpired as TokenExpired
from ..tokens import security_link_check, security_link_token
from .base import _link, _now, _staff_alert
from .profile import _identity_field_set
from .recovery import password_recovery_send
from .sessions import sessions_revoke_all

TEMPLATE = "accounts/emails/security_notice"
STAFF_TEMPLATE = "accounts/emails/staff_unauthorized_use"


def _device(user_agent: str) -> tuple[str, str]:
    """Return the (browser family, OS family) pair the account history records for a user agent."""
    if not user_agent:
        return "", ""
    summary = parse_user_agent(user_agent)
    return summary.browser, summary.os


def device_is_new(*, user: User, user_agent: str) -> bool:
    """Whether no earlier login or registration of `user` came from this (browser, OS) pair.

    An account with no recorded device yet has nothing to compare with: its first device
    becomes known without an email (registration, an account made by staff). One query:
    the account's distinct pairs, a handful of rows.
    """
    seen = set(
        AccountEvent.objects.filter(user=user, kind__in=[AccountEvent.Kind.LOGIN, AccountEvent.Kind.REGISTERED])
        .order_by()  # no default ordering: it would join the DISTINCT
        .values_list("browser", "os")
        .distinct()
    )
    return bool(seen) and _device(user_agent) not in seen


def security_notice_send(
    *,
    user: User,
    kind: str,
    ip: str | None,
    user_agent: str,
    sent_to: str | None = None,
    old_email: str = "",
) -> SecurityNotice:
    """Email `user` (at `sent_to`, by default their address) what happened, with a « Ce n'était pas moi » link.

    Sent once the transaction commits, through the outbox. The email names the browser and
    OS families and the network (/24, /64) of the request, never its full address.
    """
    now = _now()
    token, token_hash = security_link_token()
    notice = SecurityNotice.objects.create(
        user=user,
        kind=kind,
        sent_to=sent_to or user.email,
        token_hash=token_hash,
        created_at=now,
        expires_at=now + timedelta(days=int(settings.ACCOUNTS_SECURITY_LINK_DAYS)),
    )
    browser, os_family = _device(user_agent)
    email_queue(
        to=notice.sent_to,
        template=TEMPLATE,
        context={
            "kind": kind,
            "username": user.username,
            "occurred_at": now,
            "browser": browser,
            "os": os_family,
            "network": network_of(ip) if ip else "",
            "old_email": old_email,
            "new_email": user.email,
            "not_me_url": _link("accounts:security_report", user.language, token=token),
            "valid_days": int(settings.ACCOUNTS_SECURITY_LINK_DAYS),
        },
        language=user.language,
    )
    return notice


def email_change_notify(*, user: User, old_email: str, ip: str | None, user_agent: str) -> None:
    """Tell both addresses of an email change, each with its own link."""
    for kind, address in (
        (SecurityNotice.Kind.EMAIL_CHANGED_OLD, old_email),
        (SecurityNotice.Kind.EMAIL_CHANGED_NEW, user.email),
    ):
        security_notice_send(user=user, kind=kind, ip=ip, user_agent=user_agent, sent_to=address, old_email=old_email)


def security_notice_for_link(token: str) -> SecurityNotice:
    """Return the notice a link belongs to, still unused and valid.

    Raises SecurityLinkInvalid (forged, unknown), SecurityLinkExpired, SecurityLinkUsed.
    """
    try:
        token_hash = security_link_check(token)
    except TokenExpired as error:
        raise SecurityLinkExpired from error
    notice = (
        None
        if token_hash is None
        else SecurityNotice.objects.select_related("user").filter(token_hash=token_hash).first()
    )
    if notice is None:
        raise SecurityLinkInvalid
    if notice.used_at is not None:
        raise SecurityLinkUsed(used_at=notice.used_at)
    if notice.expires_at <= _now():
        raise SecurityLinkExpired
    return notice


@dataclass(frozen=True)
class ReportOutcome:
    """What following the link did, for the page that tells the member."""

    sessions_ended: int
    reset_sent_to: str
    email_restored: bool


@transaction.atomic
def security_report(*, token: str, ip: str | None) -> ReportOutcome:
    """Act on a « Ce n'était pas moi » link: once only, whatever the number of clicks.

    The link is claimed by one conditional UPDATE, so of two simultaneous uses one acts.
    """
    notice = security_notice_for_link(token)
    claimed = SecurityNotice.objects.filter(pk=notice.pk, used_at__isnull=True).update(used_at=_now())
    if not claimed:
        raise SecurityLinkUsed(used_at=_now())
    user = User.objects.select_for_update().get(pk=notice.user_id)
    restored = False
    if user.email.lower() != notice.sent_to.lower():
        # The address changed after this email: whoever holds the old mailbox gets the account back.
        try:
            old = _identity_field_set(user=user, field="email", value=notice.sent_to, taken=EmailTaken)
        except EmailTaken:
            pass  # another account took it since: the reset link still goes to the mailbox that proved itself
        else:
            events.email_changed(user=user, old_email=old, actor=None)
            restored = True
    ended = account_lock(user=user, ip=ip, source=notice.kind, reset_to=notice.sent_to)
    return ReportOutcome(sessions_ended=ended, reset_sent_to=notice.sent_to, email_restored=restored)


def account_lock(*, user: User, ip: str | None, source: str, reset_to: str | None = None) -> int:
    """Block the account until a password reset, end every session, email the reset link, alert staff.

    The password hash stays: whoever types the right one is told the account is blocked,
    a wrong one gets the usual answer (nothing said about the account). Returns how many
    sessions ended.
    """
    user.locked_at = _now()
    user.save(update_fields=["locked_at"])  # the save bumps the account's change stamp
    events.unauthorized_use_reported(user=user, ip=ip, reason=source)
    ended = sessions_revoke_all(user=user, actor=user, reason="unauthorized use reported")
    password_recovery_send(user=user, to=reset_to)
    _staff_alert(
        template=STAFF_TEMPLATE,
        context={
            "member": user.username,
            "email": user.email,
            "ip": ip or "?",
            "reported_at": _now(),
            "source": source,
        },
    )
    return ended


def security_notice_purge() -> int:
    """Delete the « Était-ce vous ? » records older than ``ACCOUNTS_SECURITY_NOTICE_RETENTION_DAYS``.

    Each row keeps the address the email went to and its link's fate; its link expired long
    before (``ACCOUNTS_SECURITY_LINK_DAYS``). Idempotent; returns how many went.
    """
    cutoff = _now() - timedelta(days=int(settings.ACCOUNTS_SECURITY_NOTICE_RETENTION_DAYS))
    deleted, _rows = SecurityNotice.objects.filter(created_at__lt=cutoff).delete()
    return deleted
