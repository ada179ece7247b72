"""Backups and restore (TR-5): checked files, retention, encryption, dry runs, refusals."""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.operations import scheduler
from cloudmentor.operations.backups import NAME, _pg_command, backup_list
from cloudmentor.operations.models import SchedulerLease

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def backups(settings: Any, tmp_path: Path) -> Path:
    """Backups go to a fresh folder, not encrypted unless a test says so."""
    settings.OPERATIONS_BACKUP_DIR = tmp_path / "backups"
    settings.OPERATIONS_BACKUP_ENCRYPTION_KEY = []
    settings.OPERATIONS_BACKUP_RETENTION_DAYS = 30
    return tmp_path / "backups"


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def only_backup(directory: Path) -> Path:
    files = list(directory.iterdir())
    assert len(files) == 1, files
    return files[0]


def kind() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def test_tr5_backup_writes_one_checked_file_named_by_utc_time_and_kind(backups: Path) -> None:
    """One run leaves one file, named after the UTC time and the database kind; no temporary file stays."""
    UserFactory(username="kept")
    before = timezone.now().replace(microsecond=0)

    out = run("backup")

    path = only_backup(backups)
    match = NAME.match(path.name)
    assert match and match["kind"] == kind()
    taken_at = datetime.strptime(match["at"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before <= taken_at <= timezone.now()
    assert str(path) in out
    assert path.stat().st_mode & 0o077 == 0  # readable by the platform's user only
    head = path.read_bytes()[:16]
    assert head.startswith(b"SQLite format 3\x00" if kind() == "sqlite" else b"PGDMP")
    assert "is a sound" in run("restore", str(path), "--dry-run")
    assert list(backups.iterdir()) == [path]  # checking it wrote nothing beside it (no -wal, -shm)


def test_tr5_retention_deletes_only_the_old_backups_it_made(backups: Path, settings: Any) -> None:
    """Backups older than the retention go; younger ones, and every file it did not make, stay."""
    settings.OPERATIONS_BACKUP_RETENTION_DAYS = 7
    backups.mkdir(parents=True)
    now = timezone.now()

    def named(days: int, suffix: str = ".sqlite3") -> Path:
        path = backups / f"cloudmentor-{now - timedelta(days=days):%Y%m%dT%H%M%SZ}-sqlite{suffix}"
        path.write_bytes(b"old")
        return path

    expired, expired_encrypted = named(8), named(40, ".sqlite3.fernet")
    recent = named(6)
    foreign = [backups / "notes.txt", backups / "cloudmentor-manual-copy.sqlite3", backups / "db-2020.dump"]
    for path in foreign:
        path.write_bytes(b"not ours")

    out = run("backup")

    assert not expired.exists() and not expired_encrypted.exists()
    assert recent.exists() and all(path.exists() for path in foreign)
    assert f"Expired backup deleted: {expired}" in out
    assert len(backup_list(backups)) == 2  # the recent one and the new one


def test_tr5_an_encrypted_backup_does_not_open_without_its_key(backups: Path, settings: Any) -> None:
    """With a key set the file is Fernet-encrypted; without the key, or with another, it is refused clearly."""
    key = Fernet.generate_key().decode()
    settings.OPERATIONS_BACKUP_ENCRYPTION_KEY = [key]
    UserFactory(username="secret-holder")

    run("backup")

    path = only_backup(backups)
    assert path.name.endswith(".fernet")
    content = path.read_bytes()
    assert b"secret-holder" not in content and b"SQLite format" not in content and not content.startswith(b"PGDMP")

    settings.OPERATIONS_BACKUP_ENCRYPTION_KEY = []
    with pytest.raises(CommandError, match="is encrypted: set OPERATIONS_BACKUP_ENCRYPTION_KEY"):
        run("restore", str(path), "--dry-run")
    settings.OPERATIONS_BACKUP_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match="cannot be decrypted"):
        run("restore", str(path), "--dry-run")
    # Rotation: a new key first, the old one still decrypts.
    settings.OPERATIONS_BACKUP_ENCRYPTION_KEY = [Fernet.generate_key().decode(), key]
    assert "is a sound" in run("restore", str(path), "--dry-run")


def test_tr5_a_dry_run_checks_the_file_and_changes_nothing(backups: Path) -> None:
    """The dry run names the database it would replace, and leaves it as it is."""
    UserFactory(username="before")
    run("backup")
    UserFactory(username="after")

    out = run("restore", str(only_backup(backups)), "--dry-run")

    assert "Restoring it would replace" in out and "Nothing was changed" in out
    assert set(User.objects.values_list("username", flat=True)) == {"before", "after"}


def test_tr5_a_restore_brings_back_the_data_of_the_backup(backups: Path) -> None:
    """Rows written after the backup go, rows deleted after it come back."""
    UserFactory(username="before")
    run("backup")
    User.objects.filter(username="before").delete()
    UserFactory(username="after")

    out = run("restore", str(only_backup(backups)))

    assert "Restored" in out
    assert list(User.objects.values_list("username", flat=True)) == ["before"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello, this is not a database at all" * 20, "is not a backup"),
        (b"SQLite format 3\x00" + b"\x00\xff" * 600, "is damaged"),
        (b"PGDMP" + b"\x01\x0e\x00" * 200, "is damaged"),
        (b"gAAAAABlz" + b"A" * 300, "cannot be decrypted"),
    ],
)
def test_tr5_a_damaged_file_is_refused_with_a_clear_message(
    backups: Path, settings: Any, tmp_path: Path, content: bytes, message: str
) -> None:
    """A file that is not a sound backup is refused, dry run or not, and the database stays as it is."""
    settings.OPERATIONS_BACKUP_ENCRYPTION_KEY = [Fernet.generate_key().decode()]
    UserFactory(username="untouched")
    path = tmp_path / "cloudmentor-20261201T030000Z-sqlite.sqlite3"
    path.write_bytes(content)

    for extra in (["--dry-run"], []):
        with pytest.raises(CommandError) as refused:
            run("restore", str(path), *extra)
        assert message in str(refused.value) or f"is a {'postgresql' if kind() == 'sqlite' else 'sqlite'}" in str(
            refused.value
        )

    assert list(User.objects.values_list("username", flat=True)) == ["untouched"]


def test_tr5_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No backup file at"):
        run("restore", str(tmp_path / "nothing.sqlite3"), "--dry-run")


def test_tr5_restore_refuses_while_the_site_is_serving_unless_forced(backups: Path) -> None:
    """A scheduler holding its lease means the site runs: restore refuses, --force goes on."""
    UserFactory(username="before")
    run("backup")
    UserFactory(username="after")
    SchedulerLease.objects.create(
        name=scheduler.LEASE_NAME, holder="web-1:42", expires_at=timezone.now() + timedelta(minutes=1)
    )
    path = str(only_backup(backups))

    with pytest.raises(CommandError, match="The site is running"):
        run("restore", path)
    assert User.objects.filter(username="after").exists()

    run("restore", path, "--force")
    assert list(User.objects.values_list("username", flat=True)) == ["before"]


def test_tr5_the_scheduler_makes_a_backup_every_day(backups: Path, settings: Any) -> None:
    """SCHEDULER_JOBS runs `backup` daily; a scheduler tick with the job due writes one."""
    assert settings.SCHEDULER_JOBS["backup"] == {"command": "backup", "every": 24 * 3600}
    settings.SCHEDULER_JOBS = {"backup": settings.SCHEDULER_JOBS["backup"]}

    assert scheduler.tick(holder="test:1") == ["backup"]
    assert scheduler.tick(holder="test:1") == []  # not due again before a day

    assert len(backup_list(backups)) == 1


def test_tr5_a_sound_database_of_something_else_is_refused(backups: Path, tmp_path: Path) -> None:
    """A readable SQLite file that is not this platform's database never replaces it."""
    UserFactory(username="untouched")
    path = tmp_path / "cloudmentor-20261201T030000Z-sqlite.sqlite3"
    with contextlib.closing(sqlite3.connect(path)) as other:
        other.execute("CREATE TABLE notes (body TEXT)")
        other.commit()

    expected = "is not a backup of this platform" if kind() == "sqlite" else "is a sqlite backup; it cannot replace"
    for extra in (["--dry-run"], []):
        with pytest.raises(CommandError, match=expected):
            run("restore", str(path), *extra)

    assert list(User.objects.values_list("username", flat=True)) == ["untouched"]


def test_tr5_the_postgresql_password_goes_through_the_environment_never_the_command_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pg_dump and pg_restore get PGPASSWORD in their environment; no argument holds the password."""
    monkeypatch.setitem(connection.settings_dict, "PASSWORD", "s3cret-Pa55")
    monkeypatch.setitem(connection.settings_dict, "HOST", "db.internal")
    monkeypatch.setitem(connection.settings_dict, "USER", "cloudmentor")

    for program in ("pg_dump", "pg_restore"):
        arguments, environment = _pg_command(program)

        assert not any("s3cret" in argument for argument in arguments)
        assert environment["PGPASSWORD"] == "s3cret-Pa55"
        assert arguments[1:4] == ["--no-password", "--host", "db.internal"]
        assert arguments[-2:] == ["--username", "cloudmentor"]


def test_tr5_a_run_killed_mid_way_leaves_no_backup_and_its_leftovers_go_later(backups: Path) -> None:
    """A killed run's working folder never looks like a backup; the next run removes it once a day old."""
    backups.mkdir(parents=True)
    stale, fresh = backups / ".cloudmentor-backup-dead1", backups / ".cloudmentor-backup-live2"
    for folder in (stale, fresh):
        folder.mkdir()
        (folder / "database").write_bytes(b"half a copy")
    day_old = (timezone.now() - timedelta(days=1, minutes=1)).timestamp()
    os.utime(stale, (day_old, day_old))

    run("backup")

    assert not stale.exists() and fresh.exists()  # a run of now may still be writing there
    assert [backup.path.parent for backup in backup_list(backups)] == [backups]


@pytest.mark.postgres_only
def test_tr5_a_postgresql_restore_that_fails_half_way_changes_nothing(backups: Path) -> None:
    """A dump cut short fails in the middle of pg_restore; the single transaction leaves the database as it was."""
    UserFactory(username="before")
    run("backup")
    UserFactory(username="after")
    path = only_backup(backups)
    content = path.read_bytes()
    path.write_bytes(content[: len(content) * 3 // 4])

    with pytest.raises(CommandError, match="pg_restore"):
        run("restore", str(path))

    assert set(User.objects.values_list("username", flat=True)) == {"before", "after"}
