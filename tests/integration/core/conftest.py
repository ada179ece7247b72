"""Page parts show on learning's pages too: these tests start clean as learning's do."""

from cloudmentor.learning.tests.conftest import _fresh_cache

__all__ = ["_fresh_cache"]  # an autouse fixture, found by name
