"""The spool: one append-only file per web process, one line per request.

Line format (UTF-8)::

    <crc32 of payload, 8 hex digits> <payload: a compact JSON array>\\n

The payload is ``[version, started (epoch seconds), ip, method, path, query,
user agent, user id, status, duration (µs)]``. Each line is written with a single
``os.write`` on a descriptor opened with ``O_APPEND`` before the response goes back to
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

import contextlib
import fcntl
import json
import logging
import os
import secrets
import socket
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
FIELD_COUNT = 10
SUFFIX = ".spool"
TEMPORARY_SUFFIX = ".tmp"
# A writer starts a new file past this size; the finished one is ingested then deleted.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024


def spool_dir() -> Path:
    return Path(settings.ANALYTICS_SPOOL_DIR)


def encode(fields: list[Any]) -> bytes:
    """Return one spool line for the payload `fields`."""
    payload = json.dumps(fields, ensure_ascii=False, separators=(",", ":"), check_circular=False).encode(
        "utf-8", "backslashreplace"
    )
    return b"%08x %s\n" % (zlib.crc32(payload), payload)


class Line(NamedTuple):
    offset: int  # where the line starts in its file
    end: int  # the byte after its newline
    fields: list[Any] | None  # None: damaged (wrong checksum or not JSON)


def decode(raw: bytes) -> list[Any] | None:
    """Return the payload of one line (without its newline), or None if it is damaged."""
    if len(raw) < 10 or raw[8:9] != b" ":
        return None
    payload = raw[9:]
    try:
        if int(raw[:8], 16) != zlib.crc32(payload):
            return None
        fields = json.loads(payload.decode("utf-8"))
    except ValueError:  # includes UnicodeDecodeError
        return None
    if isinstance(fields, list) and len(fields) == FIELD_COUNT and fields[0] == FORMAT_VERSION:
        return fields
    return None


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
    """Append lines to this process's spool file; reopen after a fork, a rotation or an error."""

    def __init__(self) -> None:
        self._fd: int | None = None
        self._pid = 0
        self._directory: Path | None = None
        self._size = 0
        self.path: Path | None = None
        os.register_at_fork(after_in_child=self._forget_after_fork)

    def append(self, line: bytes) -> None:
        directory = spool_dir()
        if (
            self._fd is None
            or self._pid != os.getpid()
            or self._directory != directory
            or self._size >= int(getattr(settings, "ANALYTICS_SPOOL_MAX_BYTES", DEFAULT_MAX_BYTES))
        ):
            self._open(directory)
        assert self._fd is not None
        try:
            written = os.write(self._fd, line)
        except OSError:
            self.close()
            raise
        self._size += written
        if written != len(line):
            # A short write (disk full) leaves a damaged line: continue in a new file so the
            # next line does not get glued to it.
            self.close()
            raise OSError(f"short write to the spool ({written} of {len(line)} bytes)")

    def close(self) -> None:
        """Close the file: it is finished, the ingester will take it to its end and delete it."""
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None
        self.path = None

    def _open(self, directory: Path) -> None:
        self.close()
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        stem = f"{socket.gethostname()}_{os.getpid()}_{time.time_ns()}_{secrets.token_hex(3)}"
        temporary = directory / f"{stem}{TEMPORARY_SUFFIX}"
        fd = os.open(temporary, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        path = directory / f"{stem}{SUFFIX}"
        os.rename(temporary, path)
        self._fd, self._pid, self._directory, self._size, self.path = fd, os.getpid(), directory, 0, path

    def _forget_after_fork(self) -> None:
        # The child shares the parent's open file description (and its lock): drop its
        # copy without touching the parent's, and start a file of its own when needed.
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd = None
        self.path = None


writer = SpoolWriter()
