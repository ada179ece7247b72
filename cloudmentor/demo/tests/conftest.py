"""The demo loads learning's catalog: its tests start as learning's do (clean caches, media in a temporary folder)."""

from cloudmentor.learning.tests.conftest import _fresh_cache, _media_in_a_temporary_folder

__all__ = ["_fresh_cache", "_media_in_a_temporary_folder"]  # autouse fixtures, found by name
