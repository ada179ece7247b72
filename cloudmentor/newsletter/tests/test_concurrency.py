"""Races: several workers sending one issue at once (PV-4).

Run on PostgreSQL (``scripts/with-postgres.sh .venv/bin/pytest cloudmentor/newsletter``).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.db import connection, connections

from cloudmentor.newsletter import services
from cloudmentor.newsletter.models import Delivery, Issue

from .factories import IssueFactory, SubscriberFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the in-memory SQLite test database serialises every writer")


def _race(workers: int, work: Callable[[int], Any]) -> list[Any]:
    start = threading.Barrier(workers)
    results: list[Any] = [None] * workers

    def body(n: int) -> None:
        start.wait()
        try:
            results[n] = work(n)
        except Exception as error:  # reported by the assertions of the test
            results[n] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=body, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


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

    results = _race(4, work)

    assert all(isinstance(result, int) for result in results), results
    assert sum(results) == 60
    assert Counter(address for message in mail.outbox for address in message.to) == Counter(
        reader.email for reader in readers
    )
    assert Delivery.objects.count() == 60
    assert Issue.objects.get().status == Issue.Status.SENT
