"""Races: several workers sending one issue at once (PV-4).

Run on PostgreSQL (``scripts/with-postgres.sh .venv/bin/pytest cloudmentor/newsletter``).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.core import mail

from cloudmentor.newsletter import services
from cloudmentor.newsletter.models import Delivery, Issue
from conftest import race

from .factories import IssueFactory, SubscriberFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def test_pv4_four_workers_sending_one_issue_at_once_send_each_address_once(settings: Any) -> None:
    """The batch task, the scheduled resume and a re-run racing: every address exactly once."""
    settings.NEWSLETTER_BATCH_SIZE = 7
    readers = [SubscriberFactory(email=f"r{number}@example.org") for number in range(60)]
    issue = IssueFactory()
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENDING)

    def work(_n: int) -> int:
        total = 0
        while queued := services.issue_send_batch(issue_id=issue.pk, chain=False):
            total += queued
        return total

    results = race(4, work)

    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == 60
    assert Counter(address for message in mail.outbox for address in message.to) == Counter(
        reader.email for reader in readers
    )
    assert Delivery.objects.count() == 60
    assert Issue.objects.get().status == Issue.Status.SENT
