"""Emails about a new policy version to 10,000 members, on SQLite and on PostgreSQL (TM-1).

Times the whole job (rendering and queuing one outbox email per member, with its
`PolicyNotice` row, batch after batch), the longest batch (the longest time a transaction
holds its locks: the version's row, and SQLite's write lock) and a second run (nothing to
do). Targets: the job under 60 s, a batch under 2 s, the second run under 1 s. The emails
are only queued here: the worker sends them afterwards, one task each.

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

MEMBERS = 10_000
TARGET_RUN_SECONDS = 60.0
TARGET_BATCH_SECONDS = 2.0
TARGET_NOOP_SECONDS = 1.0


def seed(count: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from cloudmentor.accounts.models import User

    now = timezone.now()
    password = make_password("bench member password")
    with transaction.atomic():
        User.objects.bulk_create(
            [
                User(
                    username=f"member{n}",
                    email=f"member{n}@bench.example",
                    password=password,
                    date_joined=now,
                    language="en" if n % 3 == 0 else "fr",
                    is_active=n % 50 != 0,  # 2 % disabled
                    terms_version=1,
                )
                for n in range(count)
            ],
            batch_size=5000,
        )


def run_phase(label: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudmentor.settings")
    django.setup()
    from django.conf import settings

    from cloudmentor.legal import services
    from cloudmentor.legal.models import PolicyDocument, PolicyNotice
    from cloudmentor.legal.services.notices import _notify_batch

    seed(MEMBERS)
    draft = PolicyDocument.objects.create(
        kind="terms", body_fr="Texte", body_en="Text", summary_fr="Ce qui change.", summary_en="What changes."
    )
    services.policy_publish(document=draft, by=None)  # its task is queued (the worker would run it)

    size = int(settings.LEGAL_NOTIFY_BATCH_SIZE)
    batches: list[float] = []
    queued = 0
    started = time.perf_counter()
    while True:
        batch_started = time.perf_counter()
        count, finished = _notify_batch(document_id=draft.pk, batch_size=size)
        batches.append(time.perf_counter() - batch_started)
        queued += count
        if finished:
            break
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    again = services.policy_notify_members(document_id=draft.pk)
    noop = time.perf_counter() - started

    expected = sum(1 for n in range(MEMBERS) if n % 50 != 0)
    assert queued == expected == PolicyNotice.objects.count(), (queued, expected)
    assert again == 0
    longest = max(batches)
    print(
        f"legal notify, {label}, {MEMBERS:,} members: {elapsed:.1f} s for {queued:,} emails queued in "
        f"{len(batches)} batches of {size} (target < {TARGET_RUN_SECONDS:.0f} s) "
        f"{'ok' if elapsed < TARGET_RUN_SECONDS else 'OVER TARGET'}"
    )
    print(
        f"legal notify, {label}, longest batch (one transaction, then its send tasks): {longest:.2f} s, median "
        f"{sorted(batches)[len(batches) // 2]:.2f} s (target < {TARGET_BATCH_SECONDS:.0f} s) "
        f"{'ok' if longest < TARGET_BATCH_SECONDS else 'OVER TARGET'}"
    )
    print(
        f"legal notify, {label}, second run: {noop * 1000:.0f} ms (target < {TARGET_NOOP_SECONDS:.0f} s) "
        f"{'ok' if noop < TARGET_NOOP_SECONDS else 'OVER TARGET'}"
    )


if __name__ == "__main__":
    sys.exit(sqlite_then_postgres(__file__, "legal", run_phase))
