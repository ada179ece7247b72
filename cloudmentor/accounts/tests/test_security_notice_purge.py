"""TR-4: « Était-ce vous ? » records (address, link's fate) are kept ACCOUNTS_SECURITY_NOTICE_RETENTION_DAYS, then purged."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command

from cloudmentor.accounts.models import SecurityNotice

from .factories import UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def _notice(user: Any, sent_at: datetime, n: int) -> SecurityNotice:
    return SecurityNotice.objects.create(
        user=user,
        kind=SecurityNotice.Kind.PASSWORD_CHANGED,
        sent_to=user.email,
        token_hash=f"{n:064d}",
        created_at=sent_at,
        expires_at=sent_at + timedelta(days=7),
    )


def test_tr4_security_notices_past_their_retention_are_purged_by_a_scheduled_job(settings: Any) -> None:
    settings.ACCOUNTS_SECURITY_NOTICE_RETENTION_DAYS = 90
    alice = UserFactory(username="alice", email="alice@example.org")
    old = _notice(alice, T0 - timedelta(days=90, seconds=1), 1)
    recent = _notice(alice, T0 - timedelta(days=89), 2)
    out = io.StringIO()

    with time_machine.travel(T0, tick=False):
        call_command("security_notices_purge", stdout=out)
        call_command("security_notices_purge", stdout=io.StringIO())  # idempotent

    assert list(SecurityNotice.objects.all()) == [recent]
    assert not SecurityNotice.objects.filter(pk=old.pk).exists()
    assert "1 " in out.getvalue()


def test_tr4_the_purge_is_scheduled_daily() -> None:
    job = settings.SCHEDULER_JOBS["security_notices_purge"]

    assert job == {"command": "security_notices_purge", "every": 24 * 3600}
