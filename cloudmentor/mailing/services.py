"""The email outbox: queue (render + store), then send after commit, retrying on failure.

Nothing is lost when the SMTP server is down: the row stays queued with a growing
back-off and ``manage.py mailing_retry`` (scheduled) enqueues it again. Nothing is sent
twice when a worker dies mid-send: see `email_send` (SC-4, decision 0092).

No usable secret at rest (TR-3, decision 0102): an email that carries a link opening or
changing an account keeps its body only encrypted, until it is sent or given up on; every
other body is dropped after ``MAILING_BODY_RETENTION_DAYS`` (`email_body_purge`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from cloudmentor.core.crypto import decrypt_text, encrypt_text
from cloudmentor.core.redaction import carries_secret

from .models import OutboxEmail

logger = logging.getLogger(__name__)

# Templates whose copy is emptied once sent or given up on: the recipient asked for the
# erasure of their data (PV-10) and this email only tells them it is done. Apps above add
# their template in their ``AppConfig.ready()``.
SCRUB_AFTER_SEND: set[str] = set()
SCRUBBED = "[erased]"
# Templates whose email carries a secret: a link that opens or changes an account (reset,
# confirmation, invitation, "not me", unsubscribe). Apps add theirs in ``AppConfig.ready()``;
# a body holding a URL the request log would redact counts as secret anyway.
SECRET_TEMPLATES: set[str] = set()


def _withdrawn(language: str) -> str:
    with translation.override(language):
        return gettext("[retiré : lien à usage unique]")


def _purpose(to: str) -> str:
    # Bound to the address: a sealed body copied onto another row does not open.
    return f"mailing.outbox\x00{to}"


def _is_secret(template: str, parts: Iterable[str]) -> bool:
    return template in SECRET_TEMPLATES or any(carries_secret(part) for part in parts)


def _render(template: str, context: Mapping[str, Any], language: str) -> tuple[str, str, str]:
    base = {"site_url": settings.SITE_URL, "support_email": settings.SUPPORT_EMAIL, **context}
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}_subject.txt", base).split())
        text = render_to_string(f"{template}_message.txt", base)
        html: str
        try:
            html = render_to_string(f"{template}_message.html", base)
        except TemplateDoesNotExist:  # the HTML part is optional
            html = ""
    return subject, text, html


def email_queue(
    *,
    to: str,
    template: str,
    context: Mapping[str, Any] | None = None,
    language: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> OutboxEmail:
    """Render `template` in `language` for `to`, store it, and send it once committed.

    `template` names ``<template>_subject.txt``, ``<template>_message.txt`` and the optional
    ``<template>_message.html``.
    """
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    subject, text, html = _render(template, context or {}, language)
    header_values = dict(headers or {})
    sealed = ""
    if has_secret := _is_secret(template, [text, html, *header_values.values()]):
        body = {"text": text, "html": html, "headers": header_values}
        sealed = encrypt_text(_purpose(to), json.dumps(body, separators=(",", ":")))
        text, html, header_values = _withdrawn(language), "", {}
    email = OutboxEmail.objects.create(
        to=to,
        template=template,
        language=language,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=header_values,
        has_secret=has_secret,
        sealed_body=sealed,
    )
    transaction.on_commit(partial(_enqueue_send, email.pk))
    return email


def _enqueue_send(email_id: int) -> None:
    from .tasks import email_send_task

    email_send_task.enqueue(email_id)


def _backoff(attempts: int) -> timedelta:
    """Return the wait before the next try: 1, 2, 4 ... minutes, capped at 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def email_send(*, email_id: int) -> bool:
    """Send one queued email at most once; return whether it is now sent. Safe to call twice.

    The row is claimed first (status "sending", ``claimed_at``) in one committed UPDATE, so
    two workers never send the same email and a worker that dies while talking to the SMTP
    server leaves a row that is never sent again automatically (SC-4). The one window where
    the email goes out but its row is not marked sent: between the server's acceptance and
    the final UPDATE; such a row stays "sending" and is given up on after
    ``MAILING_SENDING_TIMEOUT_MINUTES`` (docs/decisions/0092-processes-that-heal.md).
    """
    now = timezone.now()
    with transaction.atomic():  # committed before the SMTP conversation starts
        claimed = OutboxEmail.objects.filter(
            pk=email_id, status=OutboxEmail.Status.QUEUED, next_attempt_at__lte=now
        ).update(status=OutboxEmail.Status.SENDING, claimed_at=now)
    if not claimed:
        return OutboxEmail.objects.filter(pk=email_id, status=OutboxEmail.Status.SENT).exists()
    email = OutboxEmail.objects.get(pk=email_id)
    attempts = email.attempts + 1
    text, html, headers = email.body_text, email.body_html, email.headers
    if email.has_secret:
        opened = _unseal(email)
        if opened is None:  # tampered with, or sealed with a key since retired: never send the placeholder
            OutboxEmail.objects.filter(pk=email_id, status=OutboxEmail.Status.SENDING).update(
                attempts=attempts, status=OutboxEmail.Status.FAILED, last_error=UNREADABLE, claimed_at=None
            )
            logger.warning("Email %s: %s", email_id, UNREADABLE)
            _drop_secrets([email_id])
            return False
        text, html, headers = opened
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers=headers,
        connection=get_connection(),
    )
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 - any transport failure means "try later"
        give_up = attempts >= settings.MAILING_MAX_ATTEMPTS
        OutboxEmail.objects.filter(pk=email_id, status=OutboxEmail.Status.SENDING).update(
            attempts=attempts,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            status=OutboxEmail.Status.FAILED if give_up else OutboxEmail.Status.QUEUED,
            next_attempt_at=timezone.now() + _backoff(attempts),
            claimed_at=None,
        )
        logger.warning("Email %s not sent (attempt %s): %s", email_id, attempts, error)
        if give_up:
            if email.has_secret:
                _drop_secrets([email_id])
            _scrub_if_asked(email)
        return False
    sent_at = timezone.now()
    # A secret email's encrypted body goes in the same UPDATE: no moment where it is sent and still readable.
    dropped: dict[str, Any] = {"sealed_body": "", "body_removed_at": sent_at} if email.has_secret else {}
    OutboxEmail.objects.filter(pk=email_id).update(
        attempts=attempts, status=OutboxEmail.Status.SENT, sent_at=sent_at, last_error="", **dropped
    )
    _scrub_if_asked(email)
    return True


UNREADABLE = "its encrypted body cannot be read (tampered with, or its key was retired): not sent"


def _unseal(email: OutboxEmail) -> tuple[str, str, dict[str, str]] | None:
    plaintext = decrypt_text(_purpose(email.to), email.sealed_body) if email.sealed_body else None
    if plaintext is None:
        return None
    body = json.loads(plaintext)
    return body["text"], body["html"], body["headers"]


def _drop_secrets(email_ids: list[int]) -> None:
    """Forget the encrypted body of secret emails that will not be sent (again) automatically."""
    OutboxEmail.objects.filter(pk__in=email_ids, has_secret=True).exclude(sealed_body="").exclude(
        status__in=[OutboxEmail.Status.QUEUED, OutboxEmail.Status.SENDING]
    ).update(sealed_body="", body_removed_at=timezone.now())


INTERRUPTED = "interrupted while sending: it may or may not have been delivered (not resent automatically)"


def email_give_up_interrupted() -> int:
    """Mark failed the emails left "sending" longer than the timeout; return how many.

    Their worker died during the SMTP conversation: the message may have left. They are not
    resent (at most once); staff can send one again from the admin ("Renvoyer").
    """
    cutoff = timezone.now() - timedelta(minutes=settings.MAILING_SENDING_TIMEOUT_MINUTES)
    stale = list(
        OutboxEmail.objects.filter(status=OutboxEmail.Status.SENDING, claimed_at__lt=cutoff).values_list(
            "pk", flat=True
        )
    )
    if not stale:
        return 0
    count = OutboxEmail.objects.filter(pk__in=stale, status=OutboxEmail.Status.SENDING).update(
        status=OutboxEmail.Status.FAILED, last_error=INTERRUPTED
    )
    _drop_secrets(stale)
    for email_id in stale:
        logger.warning("Email %s: %s", email_id, INTERRUPTED)
    return count


def _scrub_if_asked(email: OutboxEmail) -> None:
    if email.template in SCRUB_AFTER_SEND:
        OutboxEmail.objects.filter(pk=email.pk).update(
            to=SCRUBBED, subject=SCRUBBED, body_text="", body_html="", headers={}, last_error=""
        )


def email_retry_due(*, limit: int = 500) -> int:
    """Enqueue a send for every queued email whose next attempt is due; return how many.

    Emails left "sending" by a dead worker are not among them (see `email_give_up_interrupted`).
    """
    email_give_up_interrupted()
    due = list(
        OutboxEmail.objects.filter(status=OutboxEmail.Status.QUEUED, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for email_id in due:
        _enqueue_send(email_id)
    return len(due)


def email_cancel(*, email_ids: list[int]) -> int:
    """Withdraw queued emails that have not left yet; return how many.

    A send claims only queued rows, so a cancelled one is never sent, even by a worker
    that already holds its task.
    """
    count = OutboxEmail.objects.filter(pk__in=email_ids, status=OutboxEmail.Status.QUEUED).update(
        status=OutboxEmail.Status.CANCELLED
    )
    _drop_secrets(email_ids)
    return count


def email_requeue(*, email_id: int) -> bool:
    """Give a failed email another round of attempts (staff action); return whether it will be sent.

    Also a row left "sending" by a dead worker: staff decide it did not arrive. Not an email
    whose body is gone (a secret one given up on, or past the retention): the member asks
    for a new link instead.
    """
    requeued = (
        OutboxEmail.objects.filter(pk=email_id, body_removed_at__isnull=True)
        .exclude(status__in=[OutboxEmail.Status.SENT, OutboxEmail.Status.CANCELLED])
        .update(status=OutboxEmail.Status.QUEUED, attempts=0, next_attempt_at=timezone.now(), claimed_at=None)
    )
    if requeued:
        transaction.on_commit(partial(_enqueue_send, email_id))
    return bool(requeued)


def email_body_purge(*, batch_size: int = 500) -> int:
    """Drop the bodies kept past ``MAILING_BODY_RETENTION_DAYS``; keep the metadata. Return how many.

    Sent emails count from their sending, those given up on or withdrawn from their queuing.
    Idempotent: a purged row has ``body_removed_at``.
    """
    cutoff = timezone.now() - timedelta(days=settings.MAILING_BODY_RETENTION_DAYS)
    due = OutboxEmail.objects.filter(body_removed_at__isnull=True).filter(
        Q(status=OutboxEmail.Status.SENT, sent_at__lt=cutoff)
        | Q(status__in=[OutboxEmail.Status.FAILED, OutboxEmail.Status.CANCELLED], created_at__lt=cutoff)
    )
    purged = 0
    while ids := list(due.order_by("pk").values_list("pk", flat=True)[:batch_size]):
        purged += OutboxEmail.objects.filter(pk__in=ids, body_removed_at__isnull=True).update(
            body_text="", body_html="", headers={}, sealed_body="", body_removed_at=timezone.now()
        )
    return purged


def mailing_export_for_address(*, email: str) -> list[dict[str, Any]]:
    """Return every email kept for `email` (sent, waiting or given up), oldest first (PV-9). One query."""
    return [
        {
            "to": row.to,
            "subject": row.subject,
            "template": row.template,
            "language": row.language,
            "status": row.status,
            "created_at": row.created_at,
            "sent_at": row.sent_at,
            # A secret email's placeholder, never its link; nothing once the retention is over (TR-3).
            "body_text": row.body_text,
            "body_removed_at": row.body_removed_at,
        }
        for row in OutboxEmail.objects.filter(to__iexact=email.strip()).order_by("created_at", "pk")
    ]


def mailing_erase_for_address(*, email: str) -> int:
    """Delete the copies of emails about `email` (PV-10); return how many.

    Every email sent to it, sent or not (those not sent yet never will be), and the sent
    copies of staff alerts that quote it (a contact message, a report of unauthorized use).
    """
    address = email.strip()
    if not address:
        return 0
    about = Q(to__iexact=address) | (Q(body_text__icontains=address) & ~Q(status=OutboxEmail.Status.QUEUED))
    return OutboxEmail.objects.filter(about).delete()[0]
