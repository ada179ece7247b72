"""The password hasher (PV-2): Argon2id at OWASP's recommended cost (decision 0093).

Django's own Argon2 parameters (100 MiB, 2 passes, 8 lanes) cost about 220 ms of CPU per
hash on the 2-core machines this runs on, ten times OWASP's first recommendation
(19 MiB, 2 passes, 1 lane), and every login pays it. The algorithm name stays Django's
``argon2``: hashes made with other parameters still verify, and Django rewrites them
with these on the member's next successful login (``must_update``).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class OwaspArgon2idHasher(Argon2PasswordHasher):
    """Argon2id with m=19 MiB, t=2, p=1 (OWASP Password Storage Cheat Sheet)."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
