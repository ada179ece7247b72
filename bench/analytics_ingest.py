"""Request log ingestion speed (PV-5): spool lines stored per second, SQLite and PostgreSQL.

Writes realistic spool lines with the platform's own writer (two "workers", 100 user
agents, members and visitors, tokens to redact upstream already gone), then times
``analytics_ingest``'s service until every line is stored, checks the count, and prints::

    figure: ingestion on sqlite: N records/s (target: >= 20,000 records/s)

Each database runs in a child process with its own throwaway database (a temporary
SQLite file; a throwaway PostgreSQL cluster through scripts/with-postgres.sh).
"""

from __future__ import annotations

import argparse
import atexit
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 20_000
MEMBERS = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=300_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.records)
        return
    status = 0
    for backend in ["sqlite", "postgres"] if arguments.backend == "both" else [arguments.backend]:
        command = [sys.executable, __file__, "--child", "--records", str(arguments.records)]
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        if backend == "sqlite":
            var_dir = Path(tempfile.mkdtemp(prefix="cloudmentor-bench-ingest."))
            atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
            env["DATABASE_URL"] = f"sqlite:///{var_dir}/db.sqlite3"
        else:
            command = [str(ROOT / "scripts" / "with-postgres.sh"), *command]
        status |= subprocess.run(command, cwd=ROOT, env=env, check=False).returncode
    sys.exit(status)


def _setup_django() -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="cloudmentor-bench-ingest-var."))
    atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        import psycopg

        base, _, name = url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {name}")
            connection.execute(f"CREATE DATABASE {name}")
    os.environ.update(
        CLOUDMENTOR_ENV="test",
        CLOUDMENTOR_VAR_DIR=str(var_dir),
        DJANGO_SETTINGS_MODULE="cloudmentor.settings",
        LOG_LEVEL="WARNING",
        ANALYTICS_SPOOL_DIR=str(var_dir / "spool"),
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _user_agents() -> list[str]:
    agents = []
    for version in range(100, 125):
        agents.append(
            f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{version}.0.0.0 Safari/537.36"
        )
        agents.append(f"Mozilla/5.0 (X11; Linux x86_64; rv:{version}.0) Gecko/20100101 Firefox/{version}.0")
        agents.append(
            f"Mozilla/5.0 (iPhone; CPU iPhone OS 17_{version % 6} like Mac OS X) AppleWebKit/605.1.15 "
            f"(KHTML, like Gecko) Version/17.{version % 6} Mobile/15E148 Safari/604.1"
        )
        agents.append(
            f"Mozilla/5.0 (Linux; Android 14; Pixel {version % 9}) AppleWebKit/537.36 (KHTML, like Gecko) "
            f"Chrome/{version}.0.0.0 Mobile Safari/537.36"
        )
    return agents


def child(records: int) -> None:
    _setup_django()
    from django.contrib.auth import get_user_model
    from django.db import connection

    from cloudmentor.analytics import spool
    from cloudmentor.analytics.models import RequestRecord
    from cloudmentor.analytics.services import request_records_ingest

    user_model = get_user_model()
    user_model.objects.bulk_create(
        user_model(username=f"m{number}", email=f"m{number}@example.org", password="!") for number in range(MEMBERS)
    )
    member_ids = list(user_model.objects.values_list("pk", flat=True))
    agents = _user_agents()
    generator = random.Random(2026)
    workers = [spool.SpoolWriter(), spool.SpoolWriter()]  # two processes' files
    start = time.time_ns() // 1000 - records * 10_000
    written = time.perf_counter()
    for number in range(records):
        page = generator.choice(
            ["/", "/en/", "/contact/", f"/courses/{number % 300}/", f"/courses/{number % 300}/lessons/{number % 9}/"]
        )
        fields = [
            spool.FORMAT_VERSION,
            start + number * 10_000,
            f"203.0.{generator.randrange(256)}.{generator.randrange(256)}",
            "GET" if number % 20 else "POST",
            page,
            f"page={number % 7}" if number % 11 == 0 else "",
            generator.choice(agents),
            generator.choice(member_ids) if number % 3 == 0 else None,
            404 if number % 40 == 0 else 200,
            generator.randrange(800, 90_000),
        ]
        workers[number % 2].append(spool.encode(fields))
    written = time.perf_counter() - written
    for worker in workers:
        worker.close()

    started = time.perf_counter()
    report = request_records_ingest()
    seconds = time.perf_counter() - started
    stored = RequestRecord.objects.count()
    assert stored == records == report.records, (stored, records, report)
    rate = records / seconds
    vendor = connection.vendor
    print(f"spool write (encode + append), per request: {written / records * 1e6:.1f} µs")
    print(f"{records:,} records ingested on {vendor} in {seconds:.2f} s, {report.deleted} finished files deleted")
    print(
        f"figure: ingestion on {vendor}: {rate:,.0f} records/s (target: >= {TARGET:,} records/s) "
        f"{'OK' if rate >= TARGET else 'MISSED'}",
        flush=True,
    )


if __name__ == "__main__":
    main()
