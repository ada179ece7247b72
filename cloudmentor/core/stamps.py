"""Change stamps: cached copies of rows that a write anywhere makes stale at once.

A cached entry records the stamps of what it copies, read *before* the database; a writer
bumps the stamps after its change (at once, and again when its transaction commits). An
entry whose recorded stamps differ from the current ones is stale. Reading the stamps
before the database closes the race where a reader stores old rows just after a writer
invalidated them, so deleting a cache entry is never needed for correctness.

Every write bumps: updates as well as deletes, whoever makes them (a model receiver catches
saves, the staff site and cascades; a ``queryset.update()`` caller bumps itself). A writer
does not cache what it wrote: stamps it read now may already include another writer's
bump, so it bumps and leaves the next read to cache (docs/decisions/0090-one-coherence-rule.md).

Where the stamps live:

- with a shared cache (Redis, several web servers), in the cache, next to the entries:
  an entry and its stamps are read in one ``get_many``. A stamp that the cache dropped is
  re-created with a new random value, which makes the entries recorded with it stale;
- with the local-memory cache (one machine, several worker processes, each with its own
  copy of the cache), in a memory-mapped file (``CACHE_STAMPS_FILE``, default
  ``VAR_DIR/cache-stamps``) that every process of the machine maps: a write made by one web
  worker, the task worker or a management command reaches the others at their next read.
  Stamps are spread over a fixed table of slots; two names sharing a slot only cost an
  extra miss. ``CACHE_STAMPS_FILE = None`` keeps the table in this process (tests).

See docs/decisions/0014-member-pages-without-queries.md.
"""

from __future__ import annotations

import mmap
import os
import random
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction

SLOTS = 1 << 16  # 512 KB of 8-byte stamps
STAMP_PREFIX = "stamp:"
# A stamp kept in a shared cache outlives every entry recorded with it (entries live
# minutes); when it is dropped anyway, its entries only become stale.
STAMP_SECONDS = 7 * 24 * 3600
_SLOT = struct.Struct("<Q")
_DEFAULT_FILE: Any = object()  # CACHE_STAMPS_FILE unset: VAR_DIR/cache-stamps
_tables: dict[Any, Any] = {}  # by the setting's value, and by path


@dataclass(frozen=True)
class Lookup:
    """What `lookup` found: the cached value (None when missing or stale) and the current stamps."""

    value: Any
    stamps: tuple[int, ...]


def _new_value(old: int = 0) -> int:
    value = old
    while value in (old, 0):
        value = random.getrandbits(63)  # a change marker, not a secret
    return value


def _slot(name: str) -> int:
    return (zlib.crc32(name.encode()) & (SLOTS - 1)) * _SLOT.size


def _local_table() -> Any:
    """Return the machine's stamp table (a shared memory map), or this process's own."""
    raw = getattr(settings, "CACHE_STAMPS_FILE", _DEFAULT_FILE)
    table = _tables.get(raw)
    if table is None:
        return _local_table_open(raw)
    return table


def _local_table_open(raw: Any) -> Any:
    path = str(Path(settings.VAR_DIR) / "cache-stamps") if raw is _DEFAULT_FILE else raw
    path = str(path) if path is not None else None
    table = _tables.get(path)
    if table is None:
        if path is None:
            table = memoryview(bytearray(SLOTS * _SLOT.size))
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                if os.fstat(fd).st_size < SLOTS * _SLOT.size:
                    os.ftruncate(fd, SLOTS * _SLOT.size)  # zeros; every process asks the same size
                table = mmap.mmap(fd, SLOTS * _SLOT.size)
            finally:
                os.close(fd)
        _tables[path] = table
    _tables[raw] = table
    return table


def _is_local() -> bool:
    return isinstance(caches["default"], LocMemCache)


def _cache_stamps(keys: list[str], found: dict[str, Any]) -> tuple[int, ...]:
    stamps = []
    for key in keys:
        value = found.get(key)
        if value is None:  # never set, or dropped by the cache: a new value makes old entries stale
            value = _new_value()
            if not cache.add(key, value, STAMP_SECONDS):
                value = cache.get(key) or value
        stamps.append(int(value))
    return tuple(stamps)


def lookup(key: str, *names: str) -> Lookup:
    """Return the entry cached under `key` if it was recorded with the current stamps of `names`."""
    if _is_local():
        entry = cache.get(key)
        table = _local_table()
        stamps = tuple(_SLOT.unpack_from(table, _slot(name))[0] for name in names)
    else:
        stamp_keys = [STAMP_PREFIX + name for name in names]
        found = cache.get_many([key, *stamp_keys])
        entry = found.get(key)
        stamps = _cache_stamps(stamp_keys, found)
    if entry is not None and entry[0] == stamps:
        return Lookup(entry[1], stamps)
    return Lookup(None, stamps)


def current(*names: str) -> tuple[int, ...]:
    """Return the current stamps of `names` (to check a copy kept in this process's memory)."""
    if _is_local():
        table = _local_table()
        return tuple(_SLOT.unpack_from(table, _slot(name))[0] for name in names)
    stamp_keys = [STAMP_PREFIX + name for name in names]
    return _cache_stamps(stamp_keys, cache.get_many(stamp_keys))


def store(key: str, value: Any, found: Lookup, timeout: int) -> None:
    """Cache `value`, read from the database after `found` was looked up."""
    cache.set(key, (found.stamps, value), timeout)


def _bump_now(names: tuple[str, ...]) -> None:
    if _is_local():
        table = _local_table()
        for name in names:
            offset = _slot(name)
            _SLOT.pack_into(table, offset, _new_value(_SLOT.unpack_from(table, offset)[0]))
    else:
        cache.set_many({STAMP_PREFIX + name: _new_value() for name in names}, STAMP_SECONDS)


def bump(*names: str) -> None:
    """Make every entry recorded with these stamps stale, now and when the transaction commits."""
    if not names:
        return
    _bump_now(names)
    if transaction.get_connection().in_atomic_block:
        # Again after the commit: a reader that read the old rows before it must not keep them.
        transaction.on_commit(lambda: _bump_now(names), robust=True)


# The change stamp of every page kept for visitors (learning's anonymous page cache) and of
# every rendering of the material: bumping it makes them stale in every process at once.
# It lives here, low in the layers, so that any app whose data shows on every page (the
# maintenance banner of operations) can refresh the cached pages without importing learning.
PAGES_STAMP = "learning:pages"


def pages_invalidate() -> None:
    """Make every cached page stale (material published or withdrawn, a maintenance window changed)."""
    bump(PAGES_STAMP)
