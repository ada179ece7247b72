"""A member's own account: password, username, email (PV-7), data export (PV-9), erasure (PV-10)."""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from cloudmentor.core import personal_data
from cloudmentor.core.http import client_ip, user_agent_of
from cloudmentor.mailing.services import email_queue

from .. import events
from ..exceptions import AlreadyErased, EmailTaken, InvalidToken, StaffAccountErasure, UsernameTaken
from ..models import SecurityNotice, User
from ..tokens import email_change_payload, email_change_token
from .base import _link, _now
from .sessions import sessions_revoke_all


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
    from .security import security_notice_send

    security_notice_send(
        user=user, kind=SecurityNotice.Kind.PASSWORD_CHANGED, ip=client_ip(request), user_agent=user_agent_of(request)
    )


@transaction.atomic
def username_change(*, user: User, username: str, actor: User | None) -> User:
    username = User.normalize_username(username)  # NFKC: look-alikes are the same name (TR-7)
    if username == user.username:
        return user
    old = _identity_field_set(user=user, field="username", value=username, taken=UsernameTaken)
    events.username_changed(user=user, old_username=old, actor=actor)
    return user


def _identity_field_set(*, user: User, field: str, value: str, taken: type[Exception]) -> str:
    """Set the username or email (unique whatever the case) and return the old value.

    The look-up gives the clear error (an email by its key, TR-7); the unique constraint still decides a race.
    """
    taken_by_other = (
        User.objects.filter(email_key=User.normalize_email_key(value))
        if field == "email"
        else User.objects.filter(**{f"{field}__iexact": value})
    )
    if taken_by_other.exclude(pk=user.pk).exists():
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


EMAIL_CHANGE_TAKEN_TEMPLATE = "accounts/emails/email_change_taken"


@transaction.atomic
def email_change_request(*, user: User, new_email: str, language: str) -> None:
    """Send a confirmation link to the new address; nothing changes until it is followed.

    An address that belongs to another account gets no link but an email saying someone
    asked to use it: the member sees the same answer either way (TR-7, decision 0106).
    """
    owner = User.objects.filter(email_key=User.normalize_email_key(new_email)).exclude(pk=user.pk).first()
    if owner is not None:
        email_queue(
            to=new_email,
            template=EMAIL_CHANGE_TAKEN_TEMPLATE,
            context={"login_url": _link("accounts:login", owner.language)},
            language=owner.language,
        )
        return
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
def email_change_confirm(*, user: User, token: str, ip: str | None = None, user_agent: str = "") -> User:
    """Apply a confirmed email change (kills pending reset links: the email is in their hash);
    both addresses are told, each with a « Ce n'était pas moi » link (TR-4)."""
    from .security import email_change_notify

    new_email = email_change_target(user=user, token=token)
    old = _identity_field_set(user=user, field="email", value=new_email, taken=EmailTaken)
    events.email_changed(user=user, old_email=old, actor=user)
    email_change_notify(user=user, old_email=old, ip=ip, user_agent=user_agent)
    return user


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
    staff account (another staff member removes its rights first). The owner of a group
    ends it: its members leave it and are told (PV-10, decision 0107).
    """
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.erased_at is not None:
        raise AlreadyErased
    if locked.is_staff or locked.is_superuser:
        raise StaffAccountErasure
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
