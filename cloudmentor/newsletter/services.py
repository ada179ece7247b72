"""Every write of the newsletter: subscriptions and their consent record, issues and their sending (PV-4)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cloudmentor.accounts.models import User
from cloudmentor.accounts.selectors import user_by_email
from cloudmentor.core.markdown import render_markdown
from cloudmentor.core.throttle import Limit, throttle_hit, throttle_retry_after
from cloudmentor.mailing.models import OutboxEmail
from cloudmentor.mailing.services import email_cancel, email_queue

from .caching import member_changed
from .exceptions import ConfirmationSuperseded, InvalidToken, IssueIncomplete, IssueNotDraft
from .models import ConsentEvent, Delivery, Issue, Source, Subscriber
from .tokens import confirm_payload, confirm_token, unsubscribe_subscriber_id, unsubscribe_token

LANGUAGES = ("fr", "en")
ONE_CLICK_HEADERS = {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _now() -> datetime:
    return timezone.now()


def _language(language: str | None) -> str:
    return language if language in LANGUAGES else settings.LANGUAGE_CODE


def _link(name: str, language: str, **kwargs: Any) -> str:
    with translation.override(language):
        return f"{settings.SITE_URL}{reverse(name, kwargs=kwargs or None)}"


def _by_email(email: str) -> Subscriber | None:
    return Subscriber.objects.select_for_update().filter(email__iexact=email.strip()).first()


def _by_user(user: User) -> Subscriber | None:
    return Subscriber.objects.select_for_update().filter(user=user).first()


def _record(subscriber: Subscriber, action: str, source: str) -> None:
    ConsentEvent.objects.create(subscriber=subscriber, action=action, source=source, created_at=_now())


def _save(subscriber: Subscriber, *, old_user_id: Any = None) -> None:
    subscriber.save()
    member_changed(subscriber.user_id, old_user_id)


def _subscribe(subscriber: Subscriber, *, source: str, language: str) -> None:
    subscriber.status = Subscriber.Status.SUBSCRIBED
    subscriber.source = source
    subscriber.language = _language(language)
    subscriber.subscribed_at = _now()
    subscriber.unsubscribed_at = None
    _save(subscriber)
    _record(subscriber, ConsentEvent.Action.SUBSCRIBED, source)


def _create(*, email: str, user: User | None, language: str, source: str, at: datetime | None = None) -> Subscriber:
    """Create a subscribed row; when a simultaneous request created it first, return that one."""
    now = _now()
    subscriber = Subscriber(
        email=email.strip(), user=user, language=_language(language), source=source, subscribed_at=at or now
    )
    try:
        with transaction.atomic():
            _save(subscriber)
    except IntegrityError:
        return Subscriber.objects.get(email__iexact=email.strip())
    ConsentEvent.objects.create(
        subscriber=subscriber, action=ConsentEvent.Action.SUBSCRIBED, source=source, created_at=at or now
    )
    return subscriber


# Members (registration, account page) ---------------------------------------------------


@transaction.atomic
def subscriber_register_member(*, user: User) -> Subscriber | None:
    """Subscribe a new member who ticked the box of the registration form.

    An address already flagged unsubscribed stays so (the form does not show its owner
    that it was): the member sees it on the account page and can subscribe there.
    """
    if not user.newsletter_opt_in:
        return None
    existing = _by_email(user.email)
    if existing is None:
        return _create(
            email=user.email,
            user=user,
            language=user.language,
            source=Source.REGISTRATION,
            at=user.newsletter_opt_in_at,
        )
    if existing.user_id is None:
        existing.user = user
        _save(existing)
    return existing


@transaction.atomic
def subscriber_subscribe_member(*, user: User, language: str | None = None) -> Subscriber:
    """Subscribe a logged-in member from the account page: their own explicit opt-in."""
    subscriber = _by_user(user) or _by_email(user.email)
    if subscriber is None:
        return _create(email=user.email, user=user, language=language or user.language, source=Source.ACCOUNT_PAGE)
    if subscriber.user_id is None:
        subscriber.user = user
    if subscriber.is_subscribed:
        _save(subscriber)
        return subscriber
    _subscribe(subscriber, source=Source.ACCOUNT_PAGE, language=language or user.language)
    return subscriber


@transaction.atomic
def subscriber_unsubscribe_member(*, user: User) -> Subscriber | None:
    subscriber = _by_user(user) or _by_email(user.email)
    if subscriber is not None:
        subscriber_unsubscribe(subscriber=subscriber, source=Source.ACCOUNT_PAGE)
    return subscriber


@transaction.atomic
def subscriber_email_follow(*, user: User, old_email: str) -> Subscriber | None:
    """Move the member's subscription to their new address (accounts' email change).

    When the new address already has its own row (subscribed from the public form), the
    two become one; it stays unsubscribed if either was.
    """
    subscriber = _by_user(user) or _by_email(old_email)
    if subscriber is None or subscriber.email.lower() == user.email.lower():
        return subscriber
    other = Subscriber.objects.select_for_update().filter(email__iexact=user.email).exclude(pk=subscriber.pk).first()
    if other is not None:
        if not other.is_subscribed and subscriber.is_subscribed:
            subscriber.status = Subscriber.Status.UNSUBSCRIBED
            subscriber.unsubscribed_at = other.unsubscribed_at
        ConsentEvent.objects.filter(subscriber=other).update(subscriber=subscriber)
        old_user_id = other.user_id
        other.delete()
        member_changed(old_user_id)
    subscriber.email = user.email
    subscriber.user = user
    _save(subscriber)
    _record(subscriber, ConsentEvent.Action.EMAIL_CHANGED, Source.ACCOUNT_PAGE)
    return subscriber


# Unsubscribing (every email's link, one-click, account page, staff) -----------------------


@transaction.atomic
def subscriber_unsubscribe(*, subscriber: Subscriber, source: str) -> bool:
    """Flag the address unsubscribed (it is kept, never mailed again); False if it already was.

    Newsletter emails queued for it and not yet sent are withdrawn from the outbox.
    """
    subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    if not subscriber.is_subscribed:
        return False
    subscriber.status = Subscriber.Status.UNSUBSCRIBED
    subscriber.unsubscribed_at = _now()
    _save(subscriber)
    _record(subscriber, ConsentEvent.Action.UNSUBSCRIBED, source)
    queued = list(
        Delivery.objects.filter(subscriber=subscriber, email__status=OutboxEmail.Status.QUEUED).values_list(
            "email_id", flat=True
        )
    )
    if queued:
        email_cancel(email_ids=queued)
    return True


def subscriber_for_unsubscribe_token(token: str) -> Subscriber:
    """Return the subscriber an unsubscribe link names; raise InvalidToken otherwise."""
    subscriber_id = unsubscribe_subscriber_id(token)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first() if subscriber_id is not None else None
    if subscriber is None:
        raise InvalidToken
    return subscriber


@transaction.atomic
def subscriber_unsubscribe_by_token(*, token: str, one_click: bool = False) -> Subscriber:
    subscriber = subscriber_for_unsubscribe_token(token)
    subscriber_unsubscribe(subscriber=subscriber, source=Source.ONE_CLICK if one_click else Source.EMAIL_LINK)
    subscriber.refresh_from_db()
    return subscriber


# Public form: double opt-in -------------------------------------------------------------


def _address_limit(email: str) -> Limit:
    return Limit("newsletter-confirm", email.strip().lower(), int(settings.NEWSLETTER_CONFIRM_MAX_PER_ADDRESS), 3600)


@transaction.atomic
def subscription_request(*, email: str, language: str) -> bool:
    """Email a confirmation link to `email`; True if one was queued.

    Nothing is stored until the link is followed. An address already subscribed, or
    sent too many links this hour, gets nothing; the visitor's page says the same in every
    case, so it never tells whether an address is subscribed.
    """
    existing = Subscriber.objects.filter(email__iexact=email.strip()).first()
    if existing is not None and existing.is_subscribed:
        return False
    limit = _address_limit(email)
    if throttle_retry_after(limit) is not None:
        return False
    throttle_hit(limit)
    language = _language(language)
    email_queue(
        to=email.strip(),
        template="newsletter/emails/confirm",
        context={
            "confirm_url": _link(
                "newsletter:confirm", language, token=confirm_token(email=email.strip(), language=language)
            ),
            "valid_days": int(settings.NEWSLETTER_CONFIRM_DAYS),
        },
        language=language,
    )
    return True


@transaction.atomic
def subscription_confirm(*, token: str) -> Subscriber:
    """Subscribe the address a confirmation link names (its owner opened it).

    Raises InvalidToken, or ConfirmationSuperseded when the address was unsubscribed after
    the link was sent (an old link never undoes a later unsubscription).
    """
    payload = confirm_payload(token)
    if payload is None:
        raise InvalidToken
    subscriber = _by_email(payload.email)
    if subscriber is None:
        member = user_by_email(payload.email)
        if member is not None and Subscriber.objects.filter(user=member).exists():
            member = None
        return _create(email=payload.email, user=member, language=payload.language, source=Source.PUBLIC_FORM)
    if subscriber.is_subscribed:
        return subscriber
    if subscriber.unsubscribed_at and subscriber.unsubscribed_at.timestamp() > payload.requested_at:
        raise ConfirmationSuperseded
    _subscribe(subscriber, source=Source.PUBLIC_FORM, language=payload.language)
    return subscriber


# Staff: issues ---------------------------------------------------------------------------


def _issue_check_complete(issue: Issue) -> None:
    if not all(value.strip() for value in (issue.subject_fr, issue.body_fr, issue.subject_en, issue.body_en)):
        raise IssueIncomplete


def _issue_context(issue: Issue, language: str) -> dict[str, Any]:
    return {
        "subject": issue.subject(language),
        "body_text": issue.body(language),
        "body_html": render_markdown(issue.body(language)),
    }


@transaction.atomic
def issue_send_test(*, issue: Issue, to: str) -> int:
    """Send the issue to one staff address, once in each language; return how many emails."""
    _issue_check_complete(issue)
    for language in LANGUAGES:
        email_queue(
            to=to,
            template="newsletter/emails/issue",
            context={**_issue_context(issue, language), "is_test": True, "unsubscribe_url": ""},
            language=language,
        )
    return len(LANGUAGES)


@transaction.atomic
def issue_send_start(*, issue: Issue) -> Issue:
    """Start sending the issue to every subscribed address, in batches by tasks.

    Raises IssueNotDraft when it was already started (a double click sends once).
    """
    issue = Issue.objects.select_for_update().get(pk=issue.pk)
    if issue.status != Issue.Status.DRAFT:
        raise IssueNotDraft
    _issue_check_complete(issue)
    issue.status = Issue.Status.SENDING
    issue.send_started_at = _now()
    issue.save(update_fields=["status", "send_started_at"])
    transaction.on_commit(partial(_enqueue_batch, issue.pk))
    return issue


def _enqueue_batch(issue_id: int) -> None:
    from .tasks import issue_send_batch_task

    issue_send_batch_task.enqueue(issue_id)


def issue_recipients(*, issue: Issue) -> QuerySet[Subscriber]:
    """Subscribed addresses that have no delivery of this issue yet, in a stable order."""
    return (
        Subscriber.objects.filter(status=Subscriber.Status.SUBSCRIBED).exclude(deliveries__issue=issue).order_by("pk")
    )


@transaction.atomic
def issue_send_batch(*, issue_id: int, chain: bool = True) -> int:
    """Queue the issue for the next batch of subscribers; return how many were queued.

    Each delivery row and its outbox email commit together, and the (issue, subscriber)
    pair is unique: a crash or a second run never sends twice and never skips anyone
    (the rows not yet written are found again). An address unsubscribed since the send
    started is no longer subscribed, so it is skipped. With `chain`, the next batch is
    enqueued after commit; the last empty batch marks the issue sent.
    """
    issue = Issue.objects.select_for_update().filter(pk=issue_id, status=Issue.Status.SENDING).first()
    if issue is None:
        return 0
    batch = list(issue_recipients(issue=issue)[: int(settings.NEWSLETTER_BATCH_SIZE)])
    if not batch:
        issue.status = Issue.Status.SENT
        issue.sent_at = _now()
        issue.save(update_fields=["status", "sent_at"])
        return 0
    contexts = {language: _issue_context(issue, language) for language in LANGUAGES}
    for subscriber in batch:
        language = _language(subscriber.language)
        unsubscribe_url = _link("newsletter:unsubscribe", language, token=unsubscribe_token(subscriber.pk))
        email = email_queue(
            to=subscriber.email,
            template="newsletter/emails/issue",
            context={**contexts[language], "unsubscribe_url": unsubscribe_url},
            language=language,
            headers={"List-Unsubscribe": f"<{unsubscribe_url}>", **ONE_CLICK_HEADERS},
        )
        Delivery.objects.create(issue=issue, subscriber=subscriber, language=language, email=email)
    if chain:
        transaction.on_commit(partial(_enqueue_batch, issue.pk))
    return len(batch)


def issues_send_resume(*, stalled_after: timedelta = timedelta(minutes=10)) -> int:
    """Finish every issue whose sending stalled (its chain of tasks stopped); return batches run.

    An issue that queued a delivery within `stalled_after` is left to its running chain
    (running both would be safe, only wasteful).
    """
    batches = 0
    horizon = _now() - stalled_after
    sending = Issue.objects.filter(status=Issue.Status.SENDING, send_started_at__lte=horizon).annotate(
        last_delivery_at=Max("deliveries__created_at")
    )
    for issue in sending:
        if issue.last_delivery_at is not None and issue.last_delivery_at > horizon:
            continue
        while issue_send_batch(issue_id=issue.pk, chain=False):
            batches += 1
        batches += 1
    return batches


# Personal data (PV-9, PV-10) ---------------------------------------------------------------


@transaction.atomic
def newsletter_erase_for_user(user: User) -> dict[str, list[str]]:
    """Erase the member's newsletter data, keeping only the flagged address (never mail it again).

    The address stays, unsubscribed and no longer linked to the account, as the record that
    it must not be mailed (the privacy policy says an unsubscribed address stays); the
    history of issues sent to it is deleted. Returns what was erased and what was kept.
    """
    subscriber = _by_user(user) or _by_email(user.email)
    if subscriber is None:
        return {"erased": [], "kept": []}
    subscriber_unsubscribe(subscriber=subscriber, source=Source.ERASURE)
    subscriber.refresh_from_db()
    Delivery.objects.filter(subscriber=subscriber).delete()
    old_user_id = subscriber.user_id
    subscriber.user = None
    subscriber.save(update_fields=["user"])
    member_changed(old_user_id)
    return {
        "erased": [_("Newsletter : le lien avec votre compte et l'historique des numéros envoyés.")],
        "kept": [
            _(
                "Newsletter : votre adresse e-mail, marquée désabonnée, et l'historique de vos consentements, "
                "pour qu'elle ne reçoive plus jamais la newsletter et pour prouver le consentement donné puis retiré."
            )
        ],
    }


def confirm_token_is_valid(token: str) -> bool:
    return confirm_payload(token) is not None
