"""Several web processes in one test: each keeps its own local-memory cache, as gunicorn's workers do.

`worker(n)` makes the default cache hold process n's entries only, so a count kept in one
process's memory is visibly not shared; what lives in the database is. The real multi-worker
proofs are in tests/multiprocess/.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.cache import caches


class Processes:
    def __init__(self) -> None:
        self._memories: dict[int, tuple[OrderedDict[str, Any], dict[str, float]]] = {}

    @contextmanager
    def worker(self, n: int) -> Iterator[None]:
        cache: Any = caches["default"]
        saved = cache._cache, cache._expire_info
        cache._cache, cache._expire_info = self._memories.setdefault(n, (OrderedDict(), {}))
        try:
            yield
        finally:
            cache._cache, cache._expire_info = saved
