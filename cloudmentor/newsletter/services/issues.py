"""Staff: issues, their test send and their sending in batches (PV-4, PV-13)."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet

from cloudmentor.core.markdown import render_markdown
from cloudmentor.mailing.services import email_queue

from ..exceptions import IssueIncomplete, IssueNotDraft
from ..models import Delivery, Issue, Subscriber
from ..tokens import unsubscribe_token
from ._common import LANGUAGES, ONE_CLICK_HEADERS, _language, _link, _now


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
    from ..tasks import issue_send_batch_task

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
