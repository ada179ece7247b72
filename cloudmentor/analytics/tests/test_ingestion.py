"""PV-5 durability: spool lines reach the database exactly once, whatever crashes."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.analytics import ingestion, spool
from cloudmentor.analytics.models import RequestRecord, SpoolFile

from .conftest import ingest
from .factories import CHROME_WINDOWS

pytestmark = pytest.mark.django_db(transaction=True)


def line(number: int, *, user_id: int | None = None, ip: str = "203.0.113.1") -> bytes:
    return spool.encode(
        [
            1,
            1_780_000_000_000_000 + number * 1000,
            ip,
            "GET",
            f"/page/{number}/",
            "",
            CHROME_WINDOWS,
            user_id,
            200,
            1000 + number,
        ]
    )


def stored_pages() -> list[str]:
    return list(RequestRecord.objects.order_by("path").values_list("path", flat=True))


def test_pv5_running_ingestion_twice_stores_each_line_once() -> None:
    for number in range(10):
        spool.writer.append(line(number))

    first = ingest()
    second = ingest()

    assert (first.records, second.records) == (10, 0)
    assert RequestRecord.objects.count() == 10
    assert SpoolFile.objects.get().offset == sum(len(line(n)) for n in range(10))


def test_pv5_lines_written_after_an_ingestion_are_taken_by_the_next() -> None:
    spool.writer.append(line(1))
    ingest()
    spool.writer.append(line(2))
    spool.writer.append(line(3))

    assert ingest().records == 2
    assert stored_pages() == ["/page/1/", "/page/2/", "/page/3/"]


@pytest.mark.parametrize("mapped", [True, False], ids=["memory-mapped", "write(2)"])
def test_pv5_a_line_still_being_written_waits_until_it_is_complete(settings: Any, mapped: bool) -> None:
    """A torn last line (no newline yet) is left for the next run, not skipped."""
    settings.ANALYTICS_SPOOL_MMAP = mapped
    spool.writer.append(line(1))
    whole = line(2)
    spool.writer.append(whole[:25])  # the copy of a line caught half-way

    assert ingest().records == 1
    spool.writer.append(whole[25:])
    assert ingest().records == 1
    assert stored_pages() == ["/page/1/", "/page/2/"]
    assert SpoolFile.objects.get().skipped == 0


def test_pv5_a_damaged_line_is_skipped_and_counted_once_later_lines_prove_it_complete() -> None:
    spool.writer.append(line(1))
    damaged = bytearray(line(2))
    damaged[30] ^= 0x01  # a flipped bit: the checksum no longer matches
    spool.writer.append(bytes(damaged))
    assert ingest().records == 1  # the damaged last line may still be in flight: wait
    spool.writer.append(line(3))

    report = ingest()

    assert (report.records, report.skipped) == (1, 1)
    assert stored_pages() == ["/page/1/", "/page/3/"]
    assert SpoolFile.objects.get().skipped == 1


def test_pv5_a_live_file_is_kept_and_a_finished_file_is_deleted_once_ingested(spool_dir: Path) -> None:
    spool.writer.append(line(1))
    live = spool.writer.path
    assert ingest().deleted == 0
    assert live is not None and live.exists()

    spool.writer.close()  # rotation or exit: the writer lets go of its file
    report = ingest()

    assert report.deleted == 1 and not live.exists()
    assert SpoolFile.objects.get().finished_at is not None
    assert RequestRecord.objects.count() == 1


def test_pv5_the_unfinished_last_line_of_a_killed_writer_is_dropped(spool_dir: Path) -> None:
    """A worker killed in the middle of a line never answered that request: the scrap goes."""
    pid = os.fork()
    if pid == 0:  # a worker: one whole line, part of another, then death without cleanup
        try:
            spool.writer.append(line(1))
            spool.writer.append(line(2)[:20])
        finally:
            os._exit(0)
    os.waitpid(pid, 0)

    report = ingest()

    assert (report.records, report.skipped, report.deleted) == (1, 1, 1)
    assert stored_pages() == ["/page/1/"]
    assert not list(spool_dir.glob("*.spool"))


def test_pv5_a_killed_writers_file_without_a_torn_line_skips_nothing(spool_dir: Path) -> None:
    pid = os.fork()
    if pid == 0:
        try:
            for number in range(3):
                spool.writer.append(line(number))
        finally:
            os._exit(0)
    os.waitpid(pid, 0)

    report = ingest()

    assert (report.records, report.skipped, report.deleted) == (3, 0, 1)


@pytest.mark.parametrize("mapped", [True, False], ids=["memory-mapped", "write(2)"])
def test_pv5_both_ways_of_writing_store_every_line(settings: Any, spool_dir: Path, mapped: bool) -> None:
    settings.ANALYTICS_SPOOL_MMAP = mapped
    for number in range(20):
        spool.writer.append(line(number))
    spool.writer.close()

    report = ingest()

    assert (report.records, report.skipped, report.deleted) == (20, 0, 1)
    assert RequestRecord.objects.count() == 20


def test_pv5_rotation_starts_new_files_and_every_line_is_kept(settings: Any, spool_dir: Path) -> None:
    settings.ANALYTICS_SPOOL_MAX_BYTES = 600
    for number in range(12):
        spool.writer.append(line(number))

    files = list(spool_dir.glob("*.spool"))
    report = ingest()

    assert len(files) >= 3
    assert report.records == 12
    assert report.deleted == len(files) - 1  # all but the file still open
    assert RequestRecord.objects.count() == 12


def test_pv5_a_crash_before_the_checkpoint_is_saved_stores_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Records and checkpoint commit together: after a crash the batch is simply redone."""
    for number in range(5):
        spool.writer.append(line(number))
    original = SpoolFile.save

    def crash(self: SpoolFile, *args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt("killed between the insert and the checkpoint")

    monkeypatch.setattr(SpoolFile, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        ingest()
    assert RequestRecord.objects.count() == 0

    monkeypatch.setattr(SpoolFile, "save", original)
    assert ingest().records == 5
    assert RequestRecord.objects.count() == 5


def test_pv5_a_lost_checkpoint_cannot_store_a_line_twice() -> None:
    """The unique key (file, offset) is the second guard of exactly once."""
    for number in range(5):
        spool.writer.append(line(number))
    ingest()
    SpoolFile.objects.update(offset=0)  # a checkpoint restored from an older backup, say
    spool.writer.append(line(5))

    ingest()

    assert RequestRecord.objects.count() == 6
    assert len(set(RequestRecord.objects.values_list("spool_file", "spool_offset"))) == 6


def test_pv5_a_member_deleted_before_ingestion_is_recorded_without_an_account() -> None:
    member = UserFactory()
    gone = UserFactory()
    spool.writer.append(line(1, user_id=member.pk))
    spool.writer.append(line(2, user_id=gone.pk))
    gone.delete()

    ingest()

    assert list(RequestRecord.objects.order_by("path").values_list("user", flat=True)) == [member.pk, None]


def test_pv10_requests_spooled_before_an_erasure_are_stored_without_the_account() -> None:
    from cloudmentor.accounts.services import account_erase

    member = UserFactory()
    spool.writer.append(line(1, user_id=member.pk))
    account_erase(user=member, actor=member)

    ingest()

    assert list(RequestRecord.objects.values_list("user", flat=True)) == [None]


def test_pv5_an_address_that_is_not_an_ip_is_stored_empty() -> None:
    spool.writer.append(line(1, ip="unix:/run/gunicorn.sock"))

    ingest()

    assert RequestRecord.objects.get().ip_address is None


def test_pv5_a_forked_worker_writes_its_own_file(spool_dir: Path) -> None:
    """gunicorn forks its workers: each writes (and locks) a file of its own."""
    spool.writer.append(line(1))
    pid = os.fork()
    if pid == 0:  # the child: one line, then leave without running any cleanup
        try:
            spool.writer.append(line(2))
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    spool.writer.append(line(3))

    files = list(spool_dir.glob("*.spool"))
    report = ingest()

    assert len(files) == 2
    assert report.records == 3 and report.deleted == 1  # the child's file: its writer is gone
    assert stored_pages() == ["/page/1/", "/page/2/", "/page/3/"]


def test_pv5_a_stale_temporary_file_is_removed(spool_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spool_dir.mkdir(parents=True)
    orphan = spool_dir / "host_1_2_abc.tmp"
    orphan.write_bytes(b"")
    old = time.time() - 3600
    os.utime(orphan, (old, old))

    ingest()

    assert not orphan.exists()


def test_pv5_the_ingest_command_reports_what_it_stored(capsys: pytest.CaptureFixture[str]) -> None:
    spool.writer.append(line(1))

    call_command("analytics_ingest")

    assert "1 record(s) stored" in capsys.readouterr().out


def test_pv5_large_batches_are_split_and_all_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingestion, "READ_CHUNK_BYTES", 1000)
    for number in range(40):
        spool.writer.append(line(number))

    report = ingestion.spool_ingest(batch_size=7)

    assert report.records == 40
    assert RequestRecord.objects.count() == 40
    assert connection.vendor in {"sqlite", "postgresql"}
