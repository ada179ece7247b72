"""The TM-6 story end to end, through the real SMTP server: invoice, reminders, deadline, late payment, re-enabled (BZ-3, BZ-4).

Cross-app: billing's services and scheduler commands, accounts' login and events, the
mailing outbox and its sender, operations' maintenance windows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.header import decode_header, make_header
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.billing import services
from cloudmentor.billing.models import CreditNote, Invoice, Plan
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.mailing.models import OutboxEmail
from cloudmentor.operations.models import MaintenanceWindow
from conftest import body_text, submit

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


@pytest.fixture
def member() -> User:
    return UserFactory(username="alice", email="alice@example.org")


@pytest.fixture
def plan() -> Plan:
    return PlanFactory(slug="pro-3", name="Pro 3 mois", price=Decimal("49.00"), duration_months=3)


def _at(moment: datetime, capture: Any, command: str) -> None:
    with time_machine.travel(moment, tick=False), capture(execute=True):
        call_command(command, stdout=None)


def _subject(message: Any) -> str:
    return str(make_header(decode_header(str(message["Subject"])))).strip()


def _subjects(smtp_server: Any, to: str) -> list[str]:
    return [_subject(message) for message in smtp_server.messages if message["To"] == to]


def _can_log_in(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        response = submit(Client(), "/accounts/login/", {"identifier": "alice", "password": "a long enough passphrase"})
    return int(response.status_code)


def test_tm6_bz4_the_whole_dunning_story_reaches_the_member_through_smtp(
    member: User, plan: Plan, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Invoice notice, no email at the deadline (TM-6), a maintenance window that delays the
    disabling, a late transfer that re-enables at once: each email once, in order."""
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.subscription_purchase(holder=member, plan=plan, actor=member)
    _at(T0 + 3 * DAY, django_capture_on_commit_callbacks, "billing_run")
    invoice = Invoice.objects.get()
    due = invoice.due_at
    assert due is not None
    MaintenanceWindow.objects.create(starts_at=due - HOUR, ends_at=due + HOUR)

    _at(due + 2 * HOUR, django_capture_on_commit_callbacks, "billing_run")  # in the grace hours: held
    assert _can_log_in(due + 2 * HOUR) == 302
    _at(due + HOUR + 24 * HOUR, django_capture_on_commit_callbacks, "billing_run")  # grace over: disabled
    assert _can_log_in(due + 26 * HOUR) == 403
    with time_machine.travel(due + 2 * DAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.invoice_record_payment(
            invoice=invoice, amount=Decimal("49.00"), currency="EUR", reference="VIR-1", actor=StaffFactory()
        )

    assert _can_log_in(due + 2 * DAY + HOUR) == 302
    assert _subjects(smtp_server, "alice@example.org") == [
        "Votre facture CM-2027-000001 est disponible",
        "Paiement reçu : votre compte CloudMentor@Scale est réactivé",
    ]
    assert OutboxEmail.objects.filter(status=OutboxEmail.Status.SENT).count() == 2


def test_bz4_reminders_from_the_scheduler_command_reach_the_member_once(
    member: User, plan: Plan, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        subscription = services.subscription_purchase(holder=member, plan=plan, actor=member)
    end = subscription.ends_at

    for moment in (end - 14 * DAY, end - 14 * DAY + HOUR, end - 3 * DAY, end - 3 * DAY + HOUR):
        _at(moment, django_capture_on_commit_callbacks, "billing_reminders")

    subjects = _subjects(smtp_server, "alice@example.org")
    assert subjects == ["Votre accès CloudMentor@Scale se termine le 1 juin 2027"] * 2
    (first, last) = [message for message in smtp_server.messages if message["To"] == "alice@example.org"]
    assert "dans 14 jours" in body_text(first) and "dans 3 jours" in body_text(last)
    text = body_text(first) + body_text(last)
    assert "IBAN" not in text and "checkout" not in text  # TM-6: payment only inside the account


def test_bz3_a_voided_invoice_credit_note_reaches_the_buyer_with_its_pdf_link(
    member: User, plan: Plan, smtp_server: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(T0, tick=False):
        services.subscription_purchase(holder=member, plan=plan, actor=member)
    _at(T0 + 3 * DAY, django_capture_on_commit_callbacks, "billing_run")

    with time_machine.travel(T0 + 4 * DAY, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.invoice_void(invoice=Invoice.objects.get(), actor=StaffFactory(), reason="erreur de prix")

    note = CreditNote.objects.get()
    (message,) = [m for m in smtp_server.messages if _subject(m).startswith("Avoir")]
    assert message["To"] == "alice@example.org"
    assert f"/account/billing/credit-notes/{note.pk}/pdf/" in body_text(message)
    assert note.document.pdf  # rendered by its task after commit
