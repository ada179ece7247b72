"""The restore drill (TR-5): data → backup → the database destroyed → restore → the member is back whole.

Runs on the suite's database: the in-memory SQLite test database, or PostgreSQL under
``scripts/with-postgres.sh`` (``pg_dump`` and ``pg_restore`` against the test database).
The member logs in through the real login form and reads their pages after the restore.
"""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.test import Client

from cloudmentor.accounts.tests.conftest import log_in
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.billing import services as billing_services
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.learning.services import certificate_issue, lesson_complete
from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db(transaction=True)


def database_destroy() -> None:
    """Drop every table, as a lost disk or a bad migration would leave the database."""
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in tables:
                cursor.execute(f'DROP TABLE IF EXISTS "{table}"')  # FTS shadow tables go with theirs
            cursor.execute("PRAGMA foreign_keys = ON")
        else:
            cursor.execute("DROP TABLE IF EXISTS {} CASCADE".format(", ".join(f'"{table}"' for table in tables)))
    assert connection.introspection.table_names() == []


def member_with_history() -> dict[str, Any]:
    """A member with a paid period and its invoice, half of a course done, and a certificate."""
    member = UserFactory(username="ada", email="ada@example.org")
    customer = billing_services.customer_for_user(user=member)
    billing_services.customer_details_update(
        customer=customer, billing_name="Ada Lovelace", billing_address="1 rue de la Paix, Paris"
    )
    subscription = billing_services.subscription_purchase(holder=member, plan=PlanFactory(), actor=member)
    invoice = billing_services.subscription_invoice_issue_now(subscription=subscription, notify=False)
    assert invoice is not None and invoice.number
    course = CourseFactory(title="Kubernetes en production")
    module = ModuleFactory(course=course)
    first, _second = LessonFactory(module=module), LessonFactory(module=module)
    lesson_complete(user=member, lesson=first)
    finished = CourseFactory(title="Terraform pas à pas")
    certificate = certificate_issue(user=member, course=finished)
    return {"member": member, "invoice": invoice, "certificate": certificate, "course": course}


def pages_of(username: str) -> dict[str, str]:
    """Log in through the login form; return the member's learning and billing pages."""
    client = Client()
    response = log_in(client, username)
    assert response.status_code == 302, "the login form refused the member"
    pages = {}
    for name, path in {"learning": "/learn/", "billing": "/account/billing/"}.items():
        page = client.get(path, follow=True)
        assert page.status_code == 200, f"{path} answered {page.status_code}"
        pages[name] = page.content.decode()
    return pages


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_tr5_backup_destroy_restore_brings_a_member_back_whole(settings: Any, tmp_path: Path, encrypted: bool) -> None:
    """After the restore, the member logs in and finds their progress, invoices and certificates."""
    settings.OPERATIONS_BACKUP_DIR = tmp_path / "backups"
    settings.OPERATIONS_BACKUP_ENCRYPTION_KEY = [Fernet.generate_key().decode()] if encrypted else []
    history = member_with_history()
    before = pages_of("ada")
    assert history["invoice"].number in before["billing"]
    assert history["certificate"].code in before["learning"]
    assert "1 leçon(s) sur 2 · 50 %" in before["learning"]

    call_command("backup", stdout=io.StringIO())
    (backup,) = (settings.OPERATIONS_BACKUP_DIR).iterdir()
    database_destroy()
    out = io.StringIO()
    call_command("restore", str(backup), stdout=out)

    assert "Restored" in out.getvalue()
    after = pages_of("ada")
    assert history["invoice"].number in after["billing"]
    assert history["certificate"].code in after["learning"]
    assert history["course"].title in after["learning"]
    assert "1 leçon(s) sur 2 · 50 %" in after["learning"]


WRITER = """
import os, time
from django.db import transaction
from cloudmentor.operations.models import ContactMessage
deadline = time.monotonic() + float(os.environ["WRITE_SECONDS"])
print("writing", flush=True)
while time.monotonic() < deadline:
    with transaction.atomic():  # two rows or none: a consistent copy never holds an odd count
        for side in ("a", "b"):
            ContactMessage.objects.create(name=side, email="w@example.org", subject="pair", message="x" * 2000, language="fr")
"""


@pytest.mark.slow
def test_tr5_a_sqlite_backup_taken_while_the_site_writes_is_consistent(tmp_path: Path) -> None:
    """Another process commits all along; the SQLite backup is whole, checked, and holds whole transactions."""
    var_dir = tmp_path / "var"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CLOUDMENTOR_", "PYTEST_")) and key not in {"DATABASE_URL", "DEBUG"}
    }
    env.update(DJANGO_SETTINGS_MODULE="cloudmentor.settings", CLOUDMENTOR_ENV="development")
    env.update(CLOUDMENTOR_VAR_DIR=str(var_dir), DATABASE_URL=f"sqlite:///{var_dir / 'db.sqlite3'}")

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    manage("migrate", "-v0")
    with subprocess.Popen(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", WRITER],
        env={**env, "WRITE_SECONDS": "20"},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as writer:
        try:
            assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
            time.sleep(1)
            manage("backup")
            manage("backup", "--dir", str(tmp_path / "second"))
        finally:
            writer.terminate()
            writer.wait(timeout=30)

    copies = [*(var_dir / "backups").iterdir(), *(tmp_path / "second").iterdir()]
    assert len(copies) == 2
    assert "is a sound sqlite backup" in manage("restore", str(copies[0]), "--dry-run")
    assert list((var_dir / "backups").iterdir()) == [copies[0]]  # one self-contained file: no -wal, no -shm
    counts = []
    for copy in copies:
        with contextlib.closing(sqlite3.connect(f"{copy.as_uri()}?mode=ro&immutable=1", uri=True)) as database:
            assert database.execute("PRAGMA journal_mode").fetchone() == ("delete",)
            assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            counts.append(database.execute("SELECT count(*) FROM operations_contactmessage").fetchone()[0])
    assert all(count > 0 and count % 2 == 0 for count in counts), counts
    assert counts[1] > counts[0]  # the writer went on between the two: copies were taken while it wrote
