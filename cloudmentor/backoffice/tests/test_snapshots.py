from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cloudmentor.backoffice.models import StaffHomeSnapshot
from cloudmentor.backoffice.selectors import SECTIONS
from cloudmentor.backoffice.snapshots import staff_home_current
from cloudmentor.billing.models import AccessLevel
from cloudmentor.billing.tests.factories import PlanFactory, SubscriptionFactory
from cloudmentor.operations.models import ContactMessage

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 17, 11, 0, tzinfo=UTC)


def test_bz5_the_figures_are_kept_for_a_while_and_the_work_waiting_is_always_counted(settings: object) -> None:
    """Within BACKOFFICE_FIGURES_MAX_AGE_SECONDS the kept figures are shown; new messages show at once."""
    settings.BACKOFFICE_FIGURES_MAX_AGE_SECONDS = 120  # type: ignore[attr-defined]
    plan = PlanFactory(name="Pro 12 mois", name_en="Pro 12 months", access_level=AccessLevel.PRO, duration_months=12)
    with time_machine.travel(NOW, tick=False):
        SubscriptionFactory(plan=plan, price=Decimal("120.00"))
        first = staff_home_current(sections=SECTIONS)
    with time_machine.travel(NOW + timedelta(seconds=60), tick=False):
        SubscriptionFactory(plan=plan, price=Decimal("120.00"))
        ContactMessage.objects.create(name="A", email="a@example.org", subject="RGPD", message="?", language="fr")
        with CaptureQueriesContext(connection) as queries:
            kept = staff_home_current(sections=SECTIONS)
    with time_machine.travel(NOW + timedelta(seconds=121), tick=False):
        later = staff_home_current(sections=SECTIONS)

    assert first.subscriptions and first.subscriptions.subscribers == 1
    assert kept.subscriptions and kept.subscriptions.subscribers == 1  # the kept copy
    assert kept.subscriptions.mrr == Decimal("10.00")
    assert [row.label for row in kept.subscriptions.by_plan] == ["Pro 12 mois"]
    assert kept.generated_at == NOW
    assert kept.waiting.contact_messages == 1 and kept.waiting.data_requests == 1  # counted now
    assert len(queries) == 3  # the kept row, error reports, contact messages
    assert later.subscriptions and later.subscriptions.subscribers == 2
    assert StaffHomeSnapshot.objects.get().computed_at == NOW + timedelta(seconds=121)


def test_bz5_the_scheduled_job_recomputes_the_figures() -> None:
    """`manage.py backoffice_refresh` (every minute) stores the figures the pages read."""
    SubscriptionFactory()
    out = StringIO()

    call_command("backoffice_refresh", stdout=out)

    snapshot = StaffHomeSnapshot.objects.get(currency="EUR")
    assert snapshot.content["subscriptions"]["subscribers"] == 1
    assert "staff home figures computed" in out.getvalue()


def test_bz5_a_copy_stored_by_an_older_version_is_recomputed() -> None:
    """A kept row that no longer reads is replaced, never a 500."""
    StaffHomeSnapshot.objects.create(currency="EUR", computed_at=datetime.now(tz=UTC), content={"old": True})
    SubscriptionFactory()

    home = staff_home_current(sections=SECTIONS)

    assert home.subscriptions and home.subscriptions.subscribers == 1
    assert "subscriptions" in StaffHomeSnapshot.objects.get().content
