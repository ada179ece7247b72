from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from cloudmentor.learning.lessonpage import local_pages_forget


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Pages, renderings and throttles live in the cache (and lesson pages in memory): start every test clean."""
    cache.clear()
    local_pages_forget()
    yield
    cache.clear()
    local_pages_forget()


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings: Any, tmp_path: Any) -> None:
    """Files written by the tests (resources of the demo catalog) never land in var/."""
    settings.MEDIA_ROOT = tmp_path / "media"
