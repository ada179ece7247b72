"""Backups of the database and their restore (TR-5; docs/decisions/0100-backups.md).

One run of ``manage.py backup`` writes one file into ``OPERATIONS_BACKUP_DIR``, named after
the UTC time and the database kind (``cloudmentor-20261206T031500Z-sqlite.sqlite3``,
``…-postgresql.dump``, plus ``.fernet`` when encrypted):

- SQLite through the online backup API (a consistent copy while the site writes, WAL
  included); PostgreSQL through ``pg_dump --format=custom`` (the password goes through
  ``PGPASSWORD``, never on a command line);
- the copy is checked (SQLite ``quick_check``, ``pg_restore --list``) before it takes its
  name, and written under a temporary name then renamed: a crash leaves no half backup;
- with ``OPERATIONS_BACKUP_ENCRYPTION_KEY`` (one or more Fernet keys, the first encrypts),
  the file is Fernet-encrypted; the keys come from the environment only;
- backups it made that are older than ``OPERATIONS_BACKUP_RETENTION_DAYS`` are deleted, by
  the time in their name; other files in the folder are never touched.

``manage.py restore <file>`` checks the file the same way, and replaces the database: SQLite
through the backup API into the open database, PostgreSQL with ``pg_restore --clean
--if-exists --no-owner --single-transaction`` (all or nothing). It refuses while the
scheduler holds its lease (the site is running) unless forced.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import DatabaseError, connection
from django.utils import timezone

from .models import SchedulerLease
from .scheduler import LEASE_NAME

logger = logging.getLogger(__name__)

PREFIX = "cloudmentor-"
ENCRYPTED_SUFFIX = ".fernet"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".dump"}
NAME = re.compile(r"^cloudmentor-(?P<at>\d{8}T\d{6}Z)-(?P<kind>sqlite|postgresql)\.(?:sqlite3|dump)(?:\.fernet)?$")
TEMPORARY_PREFIX = ".cloudmentor-backup-"
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
FERNET_MAGIC = b"gAAAAA"
COMMAND_SECONDS = 3600


class BackupError(Exception):
    """A backup or restore that cannot go on; `message` says why, for the operator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Backup:
    """A backup file this code made, as its name describes it."""

    path: Path
    kind: str
    taken_at: datetime
    is_encrypted: bool


@dataclass(frozen=True)
class Inspection:
    """What a backup file holds, and the database a restore would replace."""

    path: Path
    kind: str
    is_encrypted: bool
    tables: int
    target: str


def _now() -> datetime:
    return timezone.now()


def backup_dir() -> Path:
    return Path(settings.OPERATIONS_BACKUP_DIR)


def _fernet() -> MultiFernet | None:
    keys = [key for key in settings.OPERATIONS_BACKUP_ENCRYPTION_KEY if key]
    if not keys:
        return None
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise BackupError(
            "OPERATIONS_BACKUP_ENCRYPTION_KEY holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes: Fernet.generate_key())."
        ) from error


def database_kind() -> str:
    if connection.vendor == "sqlite":
        return "sqlite"
    if connection.vendor == "postgresql":
        return "postgresql"
    raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")


def _target_description() -> str:
    params = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"the SQLite database {params['NAME']}"
    return (
        f"the PostgreSQL database {params['NAME']} on {params.get('HOST') or 'localhost'}:{params.get('PORT') or 5432}"
    )


def backup_parse(path: Path) -> Backup | None:
    """Return the backup `path` names, or None when this code did not make it."""
    match = NAME.match(path.name)
    if match is None:
        return None
    taken_at = datetime.strptime(match["at"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return Backup(path=path, kind=match["kind"], taken_at=taken_at, is_encrypted=path.name.endswith(ENCRYPTED_SUFFIX))


def backup_list(directory: Path | None = None) -> list[Backup]:
    """Return the backups made by this code in `directory`, oldest first."""
    directory = directory or backup_dir()
    if not directory.is_dir():
        return []
    found = [backup for path in directory.iterdir() if path.is_file() and (backup := backup_parse(path))]
    return sorted(found, key=lambda backup: backup.taken_at)


def _pg_command(program: str) -> tuple[list[str], dict[str, str]]:
    """Return the connection arguments of `program` and its environment (the password in PGPASSWORD)."""
    params = connection.settings_dict
    binary = shutil.which(program)
    if binary is None:
        raise BackupError(
            f"{program} is not installed (PostgreSQL client: scripts/install-system-deps.sh postgresql-client)."
        )
    arguments = [binary, "--no-password"]
    if params.get("HOST"):
        arguments += ["--host", str(params["HOST"])]
    if params.get("PORT"):
        arguments += ["--port", str(params["PORT"])]
    if params.get("USER"):
        arguments += ["--username", str(params["USER"])]
    environment = {**os.environ}
    environment.pop("PGPASSWORD", None)
    if params.get("PASSWORD"):
        environment["PGPASSWORD"] = str(params["PASSWORD"])
    if sslmode := params.get("OPTIONS", {}).get("sslmode"):
        environment["PGSSLMODE"] = str(sslmode)
    return arguments, environment


def _run(arguments: list[str], environment: dict[str, str], what: str) -> str:
    done = subprocess.run(  # fixed program, arguments from settings, no shell
        arguments, env=environment, capture_output=True, text=True, timeout=COMMAND_SECONDS, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{what} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def _sqlite_copy_out(destination: Path) -> None:
    connection.ensure_connection()
    target = sqlite3.connect(destination)
    try:
        connection.connection.backup(target)
        # The copy inherits the site's WAL mode; a backup is one self-contained file, which
        # opening (a check, a restore) must not surround with -wal and -shm files.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()


def _read_only(path: Path) -> sqlite3.Connection:
    """Open a backup for reading: no lock, no file written beside it, whatever its journal mode."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)


def _sqlite_tables(path: Path) -> set[str]:
    """Check the SQLite file at `path`; return the names of its tables."""
    try:
        source = _read_only(path)
        try:
            result = source.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        finally:
            source.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path.name} is damaged: SQLite cannot read it ({error}).") from error
    if result is None or result[0] != "ok":
        raise BackupError(f"{path.name} is damaged: SQLite's integrity check says {result[0] if result else '?'}.")
    return tables


def _pg_tables(path: Path) -> set[str]:
    """Check the pg_dump archive at `path`; return the names of its tables."""
    arguments, environment = _pg_command("pg_restore")
    try:
        listing = _run([*arguments, "--list", str(path)], environment, "pg_restore --list")
    except BackupError as error:
        raise BackupError(f"{path.name} is damaged: {error.message}") from error
    # "215; 1259 16390 TABLE public accounts_user owner": the name follows the schema.
    return {
        line.split(" TABLE ", 1)[1].split()[1]
        for line in listing.splitlines()
        if " TABLE " in line and not line.startswith(";") and len(line.split(" TABLE ", 1)[1].split()) > 1
    }


def _kind_of(path: Path) -> str:
    with path.open("rb") as file:
        head = file.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path.name} is not a backup: neither a SQLite database nor a pg_dump archive.")


def _tables(path: Path, kind: str) -> set[str]:
    return _sqlite_tables(path) if kind == "sqlite" else _pg_tables(path)


@contextlib.contextmanager
def _workspace(directory: Path) -> Iterator[Path]:
    """Yield a private folder (mode 0700) inside `directory`, removed afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=TEMPORARY_PREFIX, dir=directory) as workspace:
        yield Path(workspace)


def backup_create(*, directory: Path | None = None) -> tuple[Backup, list[Backup]]:
    """Write one checked backup of the database; delete the expired ones. Return it and those deleted."""
    directory = directory or backup_dir()
    kind = database_kind()
    fernet = _fernet()
    taken_at = _now().astimezone(UTC).replace(microsecond=0)
    name = f"{PREFIX}{taken_at:%Y%m%dT%H%M%SZ}-{kind}{SUFFIXES[kind]}" + (ENCRYPTED_SUFFIX if fernet else "")
    with _workspace(directory) as workspace:
        plain = workspace / "database"
        if kind == "sqlite":
            _sqlite_copy_out(plain)
        else:
            arguments, environment = _pg_command("pg_dump")
            _run(
                [
                    *arguments,
                    "--format=custom",
                    "--file",
                    str(plain),
                    "--dbname",
                    str(connection.settings_dict["NAME"]),
                ],
                environment,
                "pg_dump",
            )
        _tables(plain, kind)
        ready = plain
        if fernet is not None:
            ready = workspace / "encrypted"
            ready.write_bytes(fernet.encrypt(plain.read_bytes()))
            plain.unlink()
        ready.chmod(0o600)
        # Same filesystem: the rename is atomic, the name appears only on a whole checked file.
        os.replace(ready, directory / name)
    made = Backup(path=directory / name, kind=kind, taken_at=taken_at, is_encrypted=fernet is not None)
    deleted = backup_prune(directory=directory, keep=made.path)
    # The name apart from its folder: the log's redaction of secret path segments (core.logging)
    # takes a backup's long name for a token when it ends a path.
    logger.info("Backup written: %s in %s (%d expired backup(s) deleted)", name, directory, len(deleted))
    return made, deleted


def backup_prune(*, directory: Path | None = None, keep: Path | None = None) -> list[Backup]:
    """Delete the backups this code made that are older than the retention; return them."""
    cutoff = _now() - timedelta(days=settings.OPERATIONS_BACKUP_RETENTION_DAYS)
    deleted = []
    for backup in backup_list(directory):
        if backup.taken_at < cutoff and backup.path != keep:
            backup.path.unlink(missing_ok=True)
            deleted.append(backup)
    _leftovers_remove(directory or backup_dir())
    return deleted


def _leftovers_remove(directory: Path) -> None:
    """Remove the working folders of runs killed mid-way (a day old: none can still be running)."""
    cutoff = (_now() - timedelta(days=1)).timestamp()
    for path in directory.glob(f"{TEMPORARY_PREFIX}*"):
        if path.is_dir() and path.stat().st_mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[tuple[Path, bool]]:
    """Yield a readable plain copy of the backup at `path` (decrypted if need be) and whether it was encrypted."""
    if not path.is_file():
        raise BackupError(f"No backup file at {path}.")
    with path.open("rb") as file:
        is_encrypted = file.read(len(FERNET_MAGIC)) == FERNET_MAGIC
    if not is_encrypted:
        yield path, False
        return
    fernet = _fernet()
    if fernet is None:
        raise BackupError(
            f"{path.name} is encrypted: set OPERATIONS_BACKUP_ENCRYPTION_KEY to the key it was made with."
        )
    try:
        plain_bytes = fernet.decrypt(path.read_bytes())
    except InvalidToken as error:
        raise BackupError(
            f"{path.name} cannot be decrypted with the keys of OPERATIONS_BACKUP_ENCRYPTION_KEY "
            "(another key, or a damaged file)."
        ) from error
    with _workspace(Path(tempfile.gettempdir())) as workspace:
        plain = workspace / "database"
        plain.write_bytes(plain_bytes)
        plain.chmod(0o600)
        yield plain, True


def backup_inspect(*, path: Path) -> Inspection:
    """Check the backup at `path` (decrypt, open, integrity); change nothing."""
    with _opened(path) as (plain, is_encrypted):
        kind = _kind_of(plain)
        tables = _tables(plain, kind)
    return _inspection(path=path, kind=kind, is_encrypted=is_encrypted, tables=tables)


def _inspection(*, path: Path, kind: str, is_encrypted: bool, tables: set[str]) -> Inspection:
    if kind != database_kind():
        raise BackupError(f"{path.name} is a {kind} backup; it cannot replace {_target_description()}.")
    missing = {"django_migrations", get_user_model()._meta.db_table} - tables
    if missing:
        raise BackupError(
            f"{path.name} is not a backup of this platform: it has no {', '.join(sorted(missing))} table."
        )
    return Inspection(path=path, kind=kind, is_encrypted=is_encrypted, tables=len(tables), target=_target_description())


def site_is_serving() -> bool:
    """Say whether the platform's processes run: a scheduler holds its lease (they are started together)."""
    try:
        return SchedulerLease.objects.filter(name=LEASE_NAME, expires_at__gt=_now()).exists()
    except DatabaseError:
        # No lease table: the database is lost or empty, and nothing can be running on it.
        return False


def backup_restore(*, path: Path, force: bool = False) -> Inspection:
    """Replace the database with the backup at `path`, after checking it; return what was restored."""
    with _opened(path) as (plain, is_encrypted):
        kind = _kind_of(plain)
        inspection = _inspection(path=path, kind=kind, is_encrypted=is_encrypted, tables=_tables(plain, kind))
        if not force and site_is_serving():
            raise BackupError(
                "The site is running (a scheduler holds its lease): stop the web, worker and scheduler "
                "processes first, or pass --force."
            )
        if kind == "sqlite":
            _sqlite_copy_in(plain)
        else:
            _pg_restore(plain)
    # Cached pages and rows copy the old data: a shared cache (Redis) outlives the restore.
    for alias in settings.CACHES:
        caches[alias].clear()
    logger.warning("Database restored from %s (in %s) into %s", path.name, path.parent, inspection.target)
    return inspection


def _sqlite_copy_in(plain: Path) -> None:
    connection.ensure_connection()
    source = _read_only(plain)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _pg_restore(plain: Path) -> None:
    # pg_restore drops tables: an idle connection of this process must not hold a lock on them.
    connection.close()
    arguments, environment = _pg_command("pg_restore")
    _run(
        [
            *arguments,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            str(connection.settings_dict["NAME"]),
            str(plain),
        ],
        environment,
        "pg_restore",
    )
