"""Change stamps (core/stamps.py): a cached copy is used only while nothing it copies has changed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from cloudmentor.core import stamps


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def test_an_entry_is_used_until_one_of_its_stamps_is_bumped() -> None:
    found = stamps.lookup("test:row", "test:a", "test:b")
    assert found.value is None
    stamps.store("test:row", {"n": 1}, found, 60)

    assert stamps.lookup("test:row", "test:a", "test:b").value == {"n": 1}
    stamps.bump("test:b")
    assert stamps.lookup("test:row", "test:a", "test:b").value is None


def test_a_reader_that_read_before_a_write_cannot_store_stale_rows() -> None:
    """Stamps are read before the database: a write between the two makes the stored copy stale."""
    found = stamps.lookup("test:row", "test:a")  # 1. reader: stamps, then the (old) rows
    stamps.bump("test:a")  # 2. writer: new rows, bump
    stamps.store("test:row", "old rows", found, 60)  # 3. reader stores what it read in 1.

    assert stamps.lookup("test:row", "test:a").value is None


@pytest.mark.django_db
def test_a_bump_inside_a_transaction_is_repeated_at_commit(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        stamps.bump("test:a")
    found = stamps.lookup("test:row", "test:a")  # read after the bump, before the commit
    stamps.store("test:row", "rows read before the commit", found, 60)

    for callback in callbacks:
        callback()

    assert stamps.lookup("test:row", "test:a").value is None


def test_processes_of_one_machine_share_the_stamps_through_the_file(settings: Any, tmp_path: Path) -> None:
    """Web workers keep their own local-memory cache: a write in another process must reach them."""
    settings.CACHE_STAMPS_FILE = tmp_path / "cache-stamps"
    found = stamps.lookup("test:row", "accounts:session:abc")
    stamps.store("test:row", "cached here", found, 60)
    assert stamps.lookup("test:row", "accounts:session:abc").value == "cached here"

    other_process = textwrap.dedent(
        f"""
        import django
        from django.conf import settings
        settings.configure(CACHE_STAMPS_FILE={str(settings.CACHE_STAMPS_FILE)!r}, VAR_DIR="/nonexistent")
        django.setup()
        from cloudmentor.core import stamps
        stamps._bump_now(("accounts:session:abc",))
        """
    )
    subprocess.run([sys.executable, "-c", other_process], check=True, cwd=Path(__file__).parents[3])

    assert stamps.lookup("test:row", "accounts:session:abc").value is None


def test_with_a_shared_cache_the_stamps_live_in_it_and_a_lost_stamp_makes_entries_stale(
    settings: Any, tmp_path: Path
) -> None:
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": str(tmp_path)}
    }
    found = stamps.lookup("test:row", "test:a")
    stamps.store("test:row", "cached", found, 60)
    assert stamps.lookup("test:row", "test:a").value == "cached"

    stamps.bump("test:a")
    assert stamps.lookup("test:row", "test:a").value is None

    stamps.store("test:row", "cached again", stamps.lookup("test:row", "test:a"), 60)
    cache.delete(stamps.STAMP_PREFIX + "test:a")  # evicted
    assert stamps.lookup("test:row", "test:a").value is None
