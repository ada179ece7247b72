"""Settings for the test suite: the real settings with the test profile and fast hashing."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("CLOUDMENTOR_ENV", "test")

from cloudmentor.settings import *  # noqa: F403

# Argon2 costs ~200 ms per hash on this hardware; tests that prove PV-2 switch it back on.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tasks run in-process, right when `transaction.on_commit` fires.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}}
# Change stamps of cached rows (core/stamps.py) stay in this test process, not in var/.
CACHE_STAMPS_FILE = None
# The request log's spool of this test process lives in a throwaway folder (not var/).
ANALYTICS_SPOOL_DIR = Path(tempfile.mkdtemp(prefix="cloudmentor-test-spool-"))
atexit.register(shutil.rmtree, ANALYTICS_SPOOL_DIR, ignore_errors=True)
# Static files come from the apps' folders (no collectstatic before tests).
STATIC_ROOT = None  # type: ignore[assignment]  # no collectstatic before tests
WHITENOISE_USE_FINDERS = True
# /healthz leaves backups out (var/ may hold any); the tests of that report set a threshold.
OPERATIONS_BACKUP_MAX_AGE_HOURS = 0
