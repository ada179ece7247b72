"""Move spool lines into the database, exactly once.

Each batch reads the lines after a file's checkpoint, inserts their records and moves the
checkpoint in one transaction, under a row lock on the file's checkpoint row: a crash at
any point leaves either the whole batch with its checkpoint or neither, and two ingesters
never take the same lines. The unique key (spool file, offset) is the second guard.
"""

from __future__ import annotations

import fcntl
import ipaddress
import logging
import os
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models.constants import OnConflict
from django.utils import timezone

from . import spool
from .models import RequestRecord, SpoolFile
from .user_agents import agent_parse

logger = logging.getLogger(__name__)

READ_CHUNK_BYTES = 4 * 1024 * 1024
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
DEFAULT_BATCH_SIZE = 5000
# A temporary file older than this whose creator is gone was never renamed: remove it.
STALE_TEMPORARY_SECONDS = 60


@dataclass
class IngestReport:
    files: int = 0
    records: int = 0
    skipped: int = 0
    deleted: int = 0

    def add(self, other: IngestReport) -> None:
        self.files += other.files
        self.records += other.records
        self.skipped += other.skipped
        self.deleted += other.deleted


def spool_ingest(*, directory: Path | None = None, batch_size: int = DEFAULT_BATCH_SIZE) -> IngestReport:
    """Ingest every spool file of `directory`; delete the finished ones once fully ingested."""
    directory = directory or spool.spool_dir()
    report = IngestReport()
    if not directory.is_dir():
        return report
    for path in sorted(directory.glob(f"*{spool.SUFFIX}")):
        report.add(_ingest_file(path, batch_size=batch_size))
    _remove_stale_temporaries(directory)
    return report


def _try_lock(fd: int) -> bool:
    """Return whether no writer holds the file (its writer closed it or died)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _ingest_file(path: Path, *, batch_size: int) -> IngestReport:
    report = IngestReport(files=1)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:  # finished and deleted by another ingester meanwhile
        return IngestReport()
    try:
        finished = _try_lock(fd)
        spool_file, _ = SpoolFile.objects.get_or_create(name=path.name)
        while True:
            records, skipped, at_end = _ingest_batch(fd, spool_file.pk, batch_size=batch_size, finished=finished)
            report.records += records
            report.skipped += skipped
            if at_end:
                break
        if finished:
            SpoolFile.objects.filter(pk=spool_file.pk).update(finished_at=timezone.now())
            path.unlink(missing_ok=True)
            report.deleted += 1
    finally:
        os.close(fd)
    return report


@transaction.atomic
def _ingest_batch(fd: int, spool_file_id: int, *, batch_size: int, finished: bool) -> tuple[int, int, bool]:
    """Store the next lines of one file; return (records, damaged lines skipped, reached the end)."""
    spool_file = SpoolFile.objects.select_for_update().get(pk=spool_file_id)
    start = spool_file.offset
    data = os.pread(fd, READ_CHUNK_BYTES, start)
    # A memory-mapped spool file is zero past its last line: the written part ends there.
    zero = data.find(b"\0")
    if zero >= 0:
        data = data[:zero]
    lines = []
    for line in spool.read_lines(data, start):
        lines.append(line)
        if len(lines) >= batch_size:
            break
    end = lines[-1].end if lines else start
    at_end = (zero >= 0 or len(data) < READ_CHUNK_BYTES) and len(lines) < batch_size
    if not finished and lines and lines[-1].fields is None and at_end:
        # The last line of a file still being written may be caught half-copied: it is
        # read again next time, and skipped only once a later line or the writer's end
        # shows that it is damaged for good.
        lines.pop()
        end = lines[-1].end if lines else start
    tail = start + len(data) - end
    if finished and at_end and tail:
        # The writer died in the middle of its last line: that request got no response.
        logger.warning("Dropping %d bytes of an unfinished last line in %s", tail, spool_file.name)
        end += tail
    good = [line for line in lines if line.fields is not None]
    skipped = len(lines) - len(good) + (1 if finished and at_end and tail else 0)
    if skipped:
        logger.warning("Skipping %d damaged line(s) in %s", skipped, spool_file.name)
    if good:
        _insert(good, spool_file_id)
    if end != start:
        spool_file.offset = end
        spool_file.records += len(good)
        spool_file.skipped += skipped
        spool_file.ingested_at = timezone.now()
        spool_file.save(update_fields=["offset", "records", "skipped", "ingested_at"])
    return len(good), skipped, at_end


# Columns written by ingestion, in the order of the parameters of each row.
COLUMNS = (
    "requested_at", "ip_address", "method", "path", "query", "browser", "browser_version",
    "operating_system", "device", "user_id", "status", "duration_microseconds", "spool_file_id", "spool_offset",
)  # fmt: skip


def _insert(lines: list[spool.Line], spool_file_id: int) -> None:
    """Insert the records of `lines`, skipping any (file, offset) already stored.

    One prepared INSERT through Django's connection, run with ``executemany``: building a
    model instance and compiling SQL for each row (``bulk_create``) caps ingestion near
    10,000 rows per second, a third of this.
    """
    operations = connection.ops
    table = operations.quote_name(RequestRecord._meta.db_table)
    fields = [RequestRecord._meta.get_field(column.removesuffix("_id")) for column in COLUMNS]
    sql = "{insert} {table} ({columns}) VALUES ({values}) {suffix}".format(
        insert=operations.insert_statement(on_conflict=OnConflict.IGNORE),
        table=table,
        columns=", ".join(operations.quote_name(column) for column in COLUMNS),
        values=", ".join(["%s"] * len(COLUMNS)),
        suffix=operations.on_conflict_suffix_sql(fields, OnConflict.IGNORE, None, None) or "",
    )
    user_ids = {line.fields[7] for line in lines if line.fields and line.fields[7] is not None}
    # Erased accounts (PV-10) are never linked again, like deleted ones.
    members = get_user_model().objects.filter(pk__in=user_ids, erased_at__isnull=True)
    existing = set(members.values_list("pk", flat=True)) if user_ids else set()
    # COPY sends text: PostgreSQL parses the address and the time itself. SQLite stores
    # times as Django does, naive UTC text ("2026-11-27 08:15:30.123456").
    copying = connection.vendor == "postgresql"
    adapt_ip = (lambda value: value) if copying else operations.adapt_ipaddressfield_value
    rows = []
    for line in lines:
        fields_: list[Any] = line.fields or []
        _, started_at, ip, method, path, query, user_agent, user_id, status, duration = fields_
        agent = agent_parse(user_agent)
        moment = EPOCH + timedelta(microseconds=started_at)
        rows.append(
            (
                moment if copying else str(moment.replace(tzinfo=None)),
                adapt_ip(_valid_ip(ip)),
                method,
                path,
                query,
                agent.browser,
                agent.browser_version,
                agent.operating_system,
                agent.device,
                # A member deleted or erased between the request and its ingestion: record it anonymously.
                user_id if user_id in existing else None,
                status,
                duration,
                spool_file_id,
                line.offset,
            )
        )
    if connection.vendor == "postgresql":
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                _copy(cursor, table, rows)
            return
        except IntegrityError:
            # Some line is already stored (a restored checkpoint?): the slow path skips it.
            logger.warning("Spool lines already stored: inserting the batch one by one")
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _copy(cursor: Any, table: str, rows: list[tuple[Any, ...]]) -> None:
    """Insert with PostgreSQL's COPY: the unique key still refuses a duplicate."""
    columns = ", ".join(connection.ops.quote_name(column) for column in COLUMNS)
    # Through Django's error wrapper, so a refused row raises django.db.IntegrityError.
    with connection.wrap_database_errors, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}")


def _valid_ip(value: str) -> str | None:
    """Return the address in its canonical form, or None if it is not an IP address."""
    if isinstance(value, str) and CANONICAL_IPV4.fullmatch(value):  # the common case, in C
        return value
    return _valid_other_ip(value)


@lru_cache(maxsize=16384)
def _valid_other_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except (ValueError, TypeError):
        return None


def _remove_stale_temporaries(directory: Path) -> None:
    limit = time.time() - STALE_TEMPORARY_SECONDS
    for path in directory.glob(f"*{spool.TEMPORARY_SUFFIX}"):
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            continue
        try:
            if os.fstat(fd).st_mtime < limit and _try_lock(fd):
                path.unlink(missing_ok=True)
        finally:
            os.close(fd)
