"""The billing run on 100,000 subscriptions, on SQLite and on PostgreSQL (`make bench` runs it).

5 % of the subscriptions have an invoice due to be issued and 1 % an invoice unpaid past
its due date; the rest have nothing to do (paid, or ended and already recorded). The
script times one run (targets: under 30 s) and a second run with nothing left to do
(target: under 1 s), and prints the figures.

Each database is a fresh one: SQLite in a temporary folder, PostgreSQL in a throwaway
cluster started by ``scripts/with-postgres.sh`` (the script re-invokes itself inside it).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import sqlite_then_postgres

SUBSCRIPTIONS = 100_000
TO_ISSUE = SUBSCRIPTIONS * 5 // 100
OVERDUE = SUBSCRIPTIONS // 100
TARGET_RUN_SECONDS = 30.0
TARGET_NOOP_SECONDS = 1.0


def seed(count: int) -> None:
    """Fill the database quickly (bulk inserts) with `count` members and subscriptions."""
    from datetime import timedelta
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from cloudmentor.accounts.models import User
    from cloudmentor.billing.models import AccessLevel, Customer, Invoice, InvoiceSequence, Plan, Subscription
    from cloudmentor.billing.periods import add_months

    now = timezone.now()
    year = timezone.localtime(now).year
    batch = 5000
    password = make_password("bench member password")
    plans = [
        Plan.objects.create(
            slug="essentiel-1",
            name="Essentiel 1 mois",
            duration_months=1,
            price=Decimal("19.00"),
            access_level=AccessLevel.ESSENTIAL,
        ),
        Plan.objects.create(
            slug="pro-3", name="Pro 3 mois", duration_months=3, price=Decimal("49.00"), access_level=AccessLevel.PRO
        ),
        Plan.objects.create(
            slug="expert-12",
            name="Expert 12 mois",
            duration_months=12,
            price=Decimal("179.00"),
            access_level=AccessLevel.EXPERT,
        ),
    ]
    sequence = 0
    with transaction.atomic():
        for start in range(0, count, batch):
            numbers = range(start, min(start + batch, count))
            users = User.objects.bulk_create(
                [
                    User(username=f"member{n}", email=f"member{n}@bench.example", password=password, date_joined=now)
                    for n in numbers
                ],
                batch_size=batch,
            )
            customers = Customer.objects.bulk_create([Customer(user=user) for user in users], batch_size=batch)
            subscriptions = []
            kinds = []
            for n, customer in zip(numbers, customers, strict=True):
                plan = plans[n % 3]
                if n % 100 < 5:  # 5 %: bought four days ago, invoice due to be issued
                    kind, starts_at = "issue", now - timedelta(days=4)
                elif n % 100 == 5:  # 1 %: invoice issued, unpaid past its due date
                    kind, starts_at = "overdue", now - timedelta(days=20)
                elif n % 100 < 60:  # running and paid
                    kind, starts_at = "paid", now - timedelta(days=n % 25)
                else:  # ended long ago, its end already recorded
                    kind, starts_at = "ended", now - timedelta(days=400 + n % 30)
                ends_at = add_months(starts_at, plan.duration_months)
                subscriptions.append(
                    Subscription(
                        customer=customer,
                        plan=plan,
                        access_level=plan.access_level,
                        price=plan.price,
                        currency="EUR",
                        starts_at=starts_at,
                        ends_at=ends_at,
                        source=Subscription.Source.PURCHASE,
                        created_at=starts_at,
                        ended_recorded_at=ends_at if kind == "ended" else None,
                    )
                )
                kinds.append(kind)
            subscriptions = Subscription.objects.bulk_create(subscriptions, batch_size=batch)
            invoices = []
            for subscription, kind in zip(subscriptions, kinds, strict=True):
                common = {
                    "customer_id": subscription.customer_id,
                    "subscription": subscription,
                    "amount_total": subscription.price,
                    "currency": "EUR",
                    "period_starts_at": subscription.starts_at,
                    "period_ends_at": subscription.ends_at,
                    "scheduled_at": subscription.starts_at + timedelta(days=3),
                }
                if kind == "issue":
                    invoices.append(Invoice(status=Invoice.Status.DRAFT, **common))
                    continue
                sequence += 1
                issued = {
                    "number": f"CM-{year}-{sequence:06d}",
                    "year": year,
                    "sequence": sequence,
                    "issued_at": common["scheduled_at"],
                    "due_at": common["scheduled_at"] + timedelta(days=14),
                    "amount_net": subscription.price,
                    "vat_rate": Decimal("0"),
                    "vat_amount": Decimal("0"),
                }
                if kind == "overdue":
                    invoices.append(Invoice(status=Invoice.Status.OPEN, **common, **issued))
                else:
                    invoices.append(
                        Invoice(status=Invoice.Status.PAID, paid_at=issued["issued_at"], **common, **issued)
                    )
            Invoice.objects.bulk_create(invoices, batch_size=batch)
        InvoiceSequence.objects.create(year=year, last_number=sequence)


def run_phase(label: str) -> None:
    """Seed, then time the billing run twice; called inside the configured environment."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudmentor.settings")
    django.setup()
    from cloudmentor.billing.models import Invoice
    from cloudmentor.billing.services import billing_run

    started = time.perf_counter()
    seed(SUBSCRIPTIONS)
    print(f"  {label}: {SUBSCRIPTIONS:,} subscriptions seeded in {time.perf_counter() - started:.1f} s", flush=True)

    started = time.perf_counter()
    report = billing_run()
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    again = billing_run()
    noop = time.perf_counter() - started

    assert (report.issued, report.disabled) == (TO_ISSUE, OVERDUE), report
    assert (again.issued, again.disabled, again.ended) == (0, 0, 0), again
    assert Invoice.objects.filter(status=Invoice.Status.DRAFT).count() == 0
    verdict = "ok" if elapsed < TARGET_RUN_SECONDS else "OVER TARGET"
    print(
        f"billing run, {label}, 100k subs: {elapsed:.1f} s for {report.issued:,} invoices issued and "
        f"{report.disabled:,} accounts disabled (target < {TARGET_RUN_SECONDS:.0f} s) {verdict}"
    )
    verdict = "ok" if noop < TARGET_NOOP_SECONDS else "OVER TARGET"
    print(f"billing run, {label}, nothing to do: {noop * 1000:.0f} ms (target < {TARGET_NOOP_SECONDS:.0f} s) {verdict}")


if __name__ == "__main__":
    sys.exit(sqlite_then_postgres(__file__, "billing", run_phase))
