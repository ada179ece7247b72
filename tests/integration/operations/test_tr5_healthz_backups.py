"""TR-5: /healthz reports the age of the newest backup and says « degraded » past the threshold."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import Client

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def backups(settings: Any, tmp_path: Path) -> Path:
    settings.OPERATIONS_BACKUP_DIR = tmp_path
    settings.OPERATIONS_BACKUP_MAX_AGE_HOURS = 26
    return tmp_path


def _backup_at(directory: Path, taken_at: datetime) -> None:
    (directory / f"cloudmentor-{taken_at:%Y%m%dT%H%M%SZ}-sqlite.sqlite3").write_bytes(b"SQLite format 3\x00")


def test_tr5_healthz_reports_the_age_of_the_newest_backup(client: Client, backups: Path) -> None:
    _backup_at(backups, T0 - timedelta(days=3))
    _backup_at(backups, T0 - timedelta(hours=5))

    with time_machine.travel(T0, tick=False):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["backup"] == {
        "status": "ok",
        "newest_at": (T0 - timedelta(hours=5)).isoformat(),
        "age_hours": 5.0,
        "max_age_hours": 26,
    }


def test_tr5_a_backup_older_than_the_threshold_makes_the_site_degraded_not_down(client: Client, backups: Path) -> None:
    """Past OPERATIONS_BACKUP_MAX_AGE_HOURS the status says so; the answer stays 200 (the site serves)."""
    _backup_at(backups, T0 - timedelta(hours=27))

    with time_machine.travel(T0, tick=False):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["backup"]["status"] == "stale"
    assert response.json()["backup"]["age_hours"] == 27.0


def test_tr5_no_backup_at_all_is_degraded(client: Client, backups: Path) -> None:
    response = client.get("/healthz")

    assert response.json()["status"] == "degraded"
    assert response.json()["backup"] == {"status": "missing", "newest_at": None, "age_hours": None, "max_age_hours": 26}


def test_tr5_a_threshold_of_zero_leaves_backups_out_of_healthz(client: Client, settings: Any) -> None:
    settings.OPERATIONS_BACKUP_MAX_AGE_HOURS = 0

    body = client.get("/healthz").json()

    assert "backup" not in body and body["status"] == "ok"
