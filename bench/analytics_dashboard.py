"""Request log at scale (PV-5): 10 million raw records on PostgreSQL.

Generates the records with one ``generate_series`` INSERT (a year of traffic, 2,000
members, a few heavy ones), fills the rollups with the platform's own job, then times
through the whole Django stack (test client, real login, staff TOTP):

- the staff dashboard for several 90-day ranges (target: under 1 s, from the rollups);
- a member's activity page, for the heaviest member and a typical one (target: 100 ms).

Run alone (``.venv/bin/python bench/analytics_dashboard.py``) it starts a throwaway
PostgreSQL cluster with scripts/with-postgres.sh; ``--records N`` changes the volume.
"""

from __future__ import annotations

import argparse
import atexit
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD_TARGET_SECONDS = 1.0
ACTIVITY_TARGET_SECONDS = 0.100
MEMBERS = 2000
DAYS = 365


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=10_000_000)
    arguments = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        command = [str(ROOT / "scripts" / "with-postgres.sh"), sys.executable, __file__, *sys.argv[1:]]
        sys.exit(subprocess.run(command, cwd=ROOT, check=False).returncode)
    run(arguments.records)


def _setup_django() -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="cloudmentor-bench-analytics."))
    atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
    base, _, name = os.environ["DATABASE_URL"].rpartition("/")
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.execute(f"CREATE DATABASE {name}")
    os.environ.update(
        CLOUDMENTOR_ENV="test",  # plain static storage, no collectstatic needed
        CLOUDMENTOR_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="cloudmentor.settings",
        LOG_LEVEL="WARNING",
        ANALYTICS_ENABLED="false",  # the bench's own page views stay out of the measured table
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def run(records: int) -> None:
    started = time.monotonic()
    _setup_django()
    from django.db import connection
    from django.utils import timezone

    from cloudmentor.analytics.models import RequestRecord
    from cloudmentor.analytics.services import statistics_fill

    heavy, typical, staff, device = _people()
    print(f"Generating {records:,} raw records over {DAYS} days ...", flush=True)
    generation = time.monotonic()
    _generate(records, first_member=heavy.pk)
    generation = time.monotonic() - generation
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size(%s))", [RequestRecord._meta.db_table])
        size = cursor.fetchone()[0]
    print(f"records generated: {records:,} in {generation:.0f} s ({size} with indexes)")

    rollup = time.monotonic()
    statistics_fill()
    rollup = time.monotonic() - rollup
    print(f"figure: rollup backfill of {records:,} records ({DAYS} days, hourly + daily): {rollup:.0f} s")

    today = timezone.localdate()
    ranges = [(today - timedelta(days=89), today), (today - timedelta(days=200), today - timedelta(days=111))]
    ranges.append((today - timedelta(days=DAYS - 1), today - timedelta(days=DAYS - 90)))
    staff_client = _staff_client(staff, device)
    worst_dashboard = 0.0
    for start, end in ranges:
        url = f"/staff/statistics/?from={start}&to={end}"
        seconds = _timed(staff_client, url)
        worst_dashboard = max(worst_dashboard, seconds)
        print(f"  dashboard {start} .. {end}: {seconds * 1000:.0f} ms (median of 5)")
    csv_seconds = _timed(staff_client, f"/staff/statistics/export/pages.csv?from={ranges[0][0]}&to={ranges[0][1]}")
    print(f"  CSV export of the pages table, 90 days: {csv_seconds * 1000:.0f} ms")
    print(
        f"figure: staff dashboard, 90-day range, {records:,} raw records: {worst_dashboard * 1000:.0f} ms "
        f"(target: < {DASHBOARD_TARGET_SECONDS * 1000:.0f} ms) {'OK' if worst_dashboard < DASHBOARD_TARGET_SECONDS else 'MISSED'}"
    )

    worst_activity = 0.0
    for label, member in [("heaviest member", heavy), ("typical member", typical)]:
        count = RequestRecord.objects.filter(user=member).count()
        client = _member_client(member)
        first = _timed(client, "/account/activity/", runs=11)
        cursor_url = _older_link(client.get("/account/activity/").content.decode())
        older = _timed(client, cursor_url, runs=11) if cursor_url else 0.0
        worst_activity = max(worst_activity, first, older)
        print(
            f"  activity of the {label} ({count:,} requests): first page {first * 1000:.1f} ms, next {older * 1000:.1f} ms"
        )
    print(
        f"figure: member activity page, {records:,} raw records: {worst_activity * 1000:.1f} ms "
        f"(target: < {ACTIVITY_TARGET_SECONDS * 1000:.0f} ms) {'OK' if worst_activity < ACTIVITY_TARGET_SECONDS else 'MISSED'}"
    )
    print(f"(analytics_dashboard: {time.monotonic() - started:.0f} s)")


def _people() -> tuple[Any, Any, Any, Any]:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user_model = get_user_model()
    password = make_password("bench password 2026")
    user_model.objects.bulk_create(
        user_model(username=f"member{number:04d}", email=f"member{number:04d}@example.org", password=password)
        for number in range(MEMBERS)
    )
    members = list(user_model.objects.order_by("pk"))
    staff = user_model.objects.create_superuser(
        username="bench-staff", email="staff@example.org", password="bench password 2026"
    )
    device = TOTPDevice.objects.create(user=staff, name="bench", confirmed=True)
    return members[0], members[MEMBERS // 2], staff, device


def _generate(records: int, *, first_member: int) -> None:
    """Insert `records` rows spread evenly over the last DAYS days, like a year of ingestion."""
    from django.db import connection

    from cloudmentor.analytics.models import RequestRecord, SpoolFile

    table = RequestRecord._meta.db_table
    spool_file = SpoolFile.objects.create(name="bench.spool")
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("SET synchronous_commit = off")
        # Build indexes and check constraints once at the end, not row by row.
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE '%%pkey'",
            [table],
        )
        indexes = [row for row in cursor.fetchall() if row[0] not in {name for name, _ in constraints}]
        for name, _ in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        # One statement; h is a per-row hash that spreads visitors, pages, browsers and members.
        cursor.execute(
            f"""
            INSERT INTO {table} (requested_at, ip_address, method, path, query, browser, browser_version,
                                 operating_system, device, user_id, status, duration_microseconds,
                                 spool_file_id, spool_offset)
            SELECT now() - interval '{DAYS} days' + (i * (interval '{DAYS} days' / {records})),
                   ('10.' || (v / 62500) || '.' || ((v / 250) % 250) || '.' || (v % 250))::inet,
                   CASE WHEN i % 25 = 0 THEN 'POST' ELSE 'GET' END,
                   CASE WHEN h % 10 < 3 THEN '/'
                        WHEN h % 10 < 5 THEN '/en/'
                        ELSE '/courses/' || (h % 400) || '/lessons/' || (h % 7) || '/' END,
                   CASE WHEN i % 9 = 0 THEN 'page=' || (i % 5) ELSE '' END,
                   (ARRAY['Chrome', 'Firefox', 'Mobile Safari', 'Edge', 'Safari', 'Googlebot'])[1 + h % 6],
                   (100 + h % 30)::text || '.0',
                   (ARRAY['Windows', 'Mac OS X', 'iOS', 'Android', 'Linux', 'Other'])[1 + (h / 7) % 6],
                   (ARRAY['desktop', 'desktop', 'mobile', 'mobile', 'tablet', 'bot'])[1 + (h / 7) % 6],
                   CASE WHEN i % 4 = 0
                        THEN {first_member} + floor({MEMBERS} * power((h % 1000003) / 1000003.0, 3))::int
                        ELSE NULL END,
                   CASE WHEN i % 50 = 0 THEN 404 WHEN i % 97 = 0 THEN 302 WHEN i % 1001 = 0 THEN 500 ELSE 200 END,
                   (800 + (h % 1000) * (h % 1000) / 5 + (h % 7) * 1000)::int,
                   {spool_file.pk}, i * 200
            FROM (
                SELECT i, h, h % 50000 AS v
                FROM (SELECT i, hashint4(i)::bigint & 2147483647 AS h FROM generate_series(1, {records}) AS i) AS hashed
            ) AS series
            """
        )
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            # Foreign keys hold for the generated ids; NOT VALID skips re-reading 10M rows.
            suffix = " NOT VALID" if definition.startswith("FOREIGN KEY") else ""
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}{suffix}')
        cursor.execute(f"ANALYZE {table}")


def _timed(client: Any, url: str, runs: int = 5) -> float:
    client.get(url)  # warm-up: templates, connections, caches
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        durations.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(durations)


def _log_in(client: Any, username: str) -> None:
    page = client.get("/accounts/login/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page)
    assert token, "the login form has no form_token"
    response = client.post(
        "/accounts/login/",
        {"form_token": token.group(1), "identifier": username, "password": "bench password 2026"},
    )
    assert response.status_code == 302, response.status_code


def _staff_client(staff: Any, device: Any) -> Any:
    from django.test import Client
    from django_otp.oath import totp

    client = Client()
    _log_in(client, staff.username)
    token = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    assert client.post("/accounts/staff/verify/", {"token": f"{token:06d}"}).status_code == 302
    return client


def _member_client(member: Any) -> Any:
    from django.test import Client

    client = Client()
    _log_in(client, member.username)
    return client


def _older_link(html: str) -> str:
    match = re.search(r'href="(\?before=[^"]+)"', html)
    return "/account/activity/" + match.group(1).replace("&amp;", "&") if match else ""


if __name__ == "__main__":
    main()
