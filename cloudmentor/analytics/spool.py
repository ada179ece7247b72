"""The spool: one append-only file per web process, one line per request.

Line format (UTF-8, fields separated by tabs)::

    <crc32 of the payload, 8 hex digits> TAB <payload> \\n

The payload is ``version, started (epoch microseconds), ip, method, path, query, user agent,
user id (empty for a visitor), status, duration (µs)``. The text fields were escaped by
the middleware (no control character, so no tab and no newline: see redaction.py); a
field that still holds one is escaped here. Tab-separated text is what a request can
afford: several times cheaper to write and to read than JSON.

Each line is written with a single ``os.write`` on a descriptor opened with ``O_APPEND`` before the response goes back to
the server, so a request that received a response always has its line on disk (in the
page cache: it survives the death of the process; a power cut is another matter). A line
cut short by a crash has no newline or a wrong checksum; the reader stops before it while
the file is still being written, and drops it once the writer is gone.

A writer holds an exclusive ``flock`` on its file for as long as it may append to it; the
kernel releases it when the process dies, even by ``kill -9``. The ingester treats a file
it can lock as finished: once ingested to its end, it is deleted. A new file is created
under a temporary name, locked, then renamed, so the ingester never sees an unlocked file
that is about to be written.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import mmap
import os
import secrets
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
FORMAT_TAG = str(FORMAT_VERSION)
FIELD_COUNT = 10
SUFFIX = ".spool"
TEMPORARY_SUFFIX = ".tmp"
# A writer starts a new file past this size; the finished one is ingested then deleted.
DEFAULT_MAX_BYTES = 16 * 1024 * 1024


def spool_dir() -> Path:
    return Path(settings.ANALYTICS_SPOOL_DIR)


_cached_settings: dict[str, Any] = {}


def cached_setting(name: str) -> Any:
    """Return a setting read on the request path: a dict lookup instead of ~0.5 µs through
    Django's lazy settings object. Emptied whenever a setting changes (tests)."""
    try:
        return _cached_settings[name]
    except KeyError:
        value = _cached_settings[name] = getattr(settings, name)
        return value


@receiver(setting_changed)
def _forget_settings(**kwargs: Any) -> None:
    _cached_settings.clear()


def encode(fields: list[Any]) -> bytes:
    """Return one spool line for the payload `fields` (None is written as an empty field)."""
    payload = "\t".join(["" if value is None else str(value) for value in fields])
    if payload.count("\t") != len(fields) - 1 or "\n" in payload or "\r" in payload or "\0" in payload:
        payload = "\t".join(["" if value is None else _escape(str(value)) for value in fields])
    data = payload.encode("utf-8", "backslashreplace")
    return b"%08x\t%s\n" % (zlib.crc32(data), data)


def encode_fields(
    started_at: int,
    address: str,
    method: str,
    path: str,
    query: str,
    agent: str,
    user_id: int | None,
    status: int,
    duration: int,
) -> bytes:
    """Return the line of one request (`started_at` in epoch microseconds); the text
    fields hold no tab, CR or LF (the middleware escaped them)."""
    payload = (
        f"{FORMAT_TAG}\t{started_at}\t{address}\t{method}\t{path}\t{query}\t{agent}\t"
        f"{'' if user_id is None else user_id}\t{status}\t{duration}"
    )
    data = payload.encode("utf-8", "backslashreplace")
    return b"%08x\t%s\n" % (zlib.crc32(data), data)


def _escape(text: str) -> str:
    return text.replace("\t", "\\x09").replace("\n", "\\x0a").replace("\r", "\\x0d").replace("\0", "\\x00")


class Line(NamedTuple):
    offset: int  # where the line starts in its file
    end: int  # the byte after its newline
    fields: list[Any] | None  # None: damaged (wrong checksum or not readable)


def decode(raw: bytes) -> list[Any] | None:
    """Return the payload of one line (without its newline), or None if it is damaged."""
    if len(raw) < 10 or raw[8:9] != b"\t":
        return None
    payload = raw[9:]
    try:
        if int(raw[:8], 16) != zlib.crc32(payload):
            return None
        fields: list[Any] = payload.decode("utf-8").split("\t")
        if len(fields) != FIELD_COUNT or fields[0] != FORMAT_TAG:
            return None
        fields[0] = FORMAT_VERSION
        fields[1] = int(fields[1])
        fields[7] = int(fields[7]) if fields[7] else None
        fields[8] = int(fields[8])
        fields[9] = int(fields[9])
    except ValueError:  # includes UnicodeDecodeError
        return None
    return fields


def read_lines(data: bytes, start: int) -> Iterator[Line]:
    """Yield every complete line of `data`, read from file offset `start`."""
    position = 0
    while True:
        newline = data.find(b"\n", position)
        if newline < 0:
            return
        yield Line(offset=start + position, end=start + newline + 1, fields=decode(data[position:newline]))
        position = newline + 1


class SpoolWriter:
    """Append lines to this process's spool file; reopen after a fork, a rotation or an error.

    The file is preallocated (``posix_fallocate``, so a full disk fails here and not in the
    middle of a line) and mapped into memory: appending a line is a copy into the page
    cache, about 0.1 µs where write(2) costs 1 to 3 µs. The page cache belongs to the
    kernel, so a line copied there survives ``kill -9`` of the process exactly as a
    written one does. The unused end of the file stays zero; the reader stops at the first
    zero byte. Where mapping is not possible, lines go through write(2) on ``O_APPEND``.
    """

    def __init__(self) -> None:
        self._fd: int | None = None
        self._map: mmap.mmap | None = None
        self._pid = 0
        self._directory: object = None  # the setting's value the file was opened under
        self._size = 0
        self._capacity = DEFAULT_MAX_BYTES
        self.path: Path | None = None
        self._lock = threading.Lock()
        os.register_at_fork(after_in_child=self._forget_after_fork)
        atexit.register(self.close)

    def append(self, line: bytes) -> None:
        # Threaded servers (runserver, gthread) share one writer: one line at a time.
        with self._lock:
            directory = cached_setting("ANALYTICS_SPOOL_DIR")
            end = self._size + len(line)
            if self._fd is None or directory is not self._directory or end > self._capacity:
                self._open(directory, at_least=len(line))
                end = len(line)
            if self._map is not None:
                self._map[self._size : end] = line
                self._size = end
                return
            self._write(line)

    def _write(self, data: bytes) -> None:
        assert self._fd is not None
        try:
            written = os.write(self._fd, data)
        except OSError:
            self._close()
            raise
        self._size += written
        if written != len(data):
            # A short write (disk full) leaves a damaged line: continue in a new file so the
            # next line does not get glued to it.
            self._close()
            raise OSError(f"short write to the spool ({written} of {len(data)} bytes)")

    def close(self) -> None:
        """Close the file: it is finished, the ingester will take it to its end and delete it."""
        with self._lock:
            self._close()

    def _close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            if self._map is not None:
                self._map.close()
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, self._size)  # drop the unused, zeroed end
            os.close(self._fd)
        self._fd = None
        self._map = None
        self.path = None

    def _open(self, setting: object, *, at_least: int = 0) -> None:
        self._close()
        directory = Path(str(setting))
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        stem = f"{socket.gethostname()}_{os.getpid()}_{time.time_ns()}_{secrets.token_hex(3)}"
        temporary = directory / f"{stem}{TEMPORARY_SUFFIX}"
        fd = os.open(temporary, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        capacity = max(int(getattr(settings, "ANALYTICS_SPOOL_MAX_BYTES", DEFAULT_MAX_BYTES)), at_least)
        self._map = None
        if getattr(settings, "ANALYTICS_SPOOL_MMAP", True):
            try:
                os.posix_fallocate(fd, 0, capacity)
                self._map = mmap.mmap(fd, capacity, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
            except (OSError, ValueError):
                os.ftruncate(fd, 0)
                logger.warning("The spool cannot be memory-mapped here: writing lines with write(2)")
        path = directory / f"{stem}{SUFFIX}"
        os.rename(temporary, path)
        self._fd, self._pid, self._directory, self._size, self.path = fd, os.getpid(), setting, 0, path
        self._capacity = capacity

    def _forget_after_fork(self) -> None:
        # The child shares the parent's open file description (and its lock) and mapping:
        # drop its copies without touching the parent's, and start a file of its own.
        if self._map is not None:
            with contextlib.suppress(OSError, ValueError):
                self._map.close()
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = None
        self._map = None
        self.path = None
        self._lock = threading.Lock()  # a lock held by another thread at the fork stays held


writer = SpoolWriter()
