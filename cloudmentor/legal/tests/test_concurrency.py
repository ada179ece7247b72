"""Races: staff publishing at the same instant, two email runs at once (TM-1).

Run on PostgreSQL (``scripts/with-postgres.sh .venv/bin/pytest cloudmentor/legal``).
"""

from __future__ import annotations

import pytest
from django.core import mail

from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.legal import services
from cloudmentor.legal.exceptions import PolicyAlreadyPublished
from cloudmentor.legal.models import PolicyDocument, PolicyNotice
from conftest import race

from .factories import DraftFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_only]


def _seeded() -> None:
    services.policy_seed()  # transactional tests start with empty tables


def test_tm1_staff_publishing_at_the_same_instant_get_distinct_gapless_numbers() -> None:
    _seeded()
    drafts = [DraftFactory() for _n in range(8)]

    results = race(8, lambda n: services.policy_publish(document=drafts[n], by=None).version)

    assert all(isinstance(version, int) for version in results), results
    assert sorted(results) == list(range(2, 10))
    stored = PolicyDocument.objects.filter(kind="terms").values_list("version", flat=True)
    assert sorted(stored) == list(range(1, 10))


def test_tm1_one_draft_published_twice_at_once_is_published_once() -> None:
    _seeded()
    draft = DraftFactory()

    results = race(4, lambda _n: services.policy_publish(document=draft, by=None).version)

    assert sorted(result for result in results if isinstance(result, int)) == [2]
    assert sum(isinstance(result, PolicyAlreadyPublished) for result in results) == 3
    assert PolicyDocument.objects.filter(kind="terms").count() == 2


def test_tm1_two_email_runs_at_once_email_each_member_once() -> None:
    _seeded()
    members = UserFactory.create_batch(60)
    draft = DraftFactory(kind="privacy")
    services.policy_publish(document=draft, by=None)  # the immediate task already ran
    sent = len(mail.outbox)
    PolicyNotice.objects.all().delete()
    PolicyDocument.objects.filter(pk=draft.pk).update(notified_at=None, notify_cursor=0)
    mail.outbox.clear()

    results = race(3, lambda _n: services.policy_notify_members(document_id=draft.pk, batch_size=7))

    assert sent == len(members)
    assert all(isinstance(count, int) for count in results), results
    assert sum(results) == len(members)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(member.email for member in members)
