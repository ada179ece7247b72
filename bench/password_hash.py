"""What one password check costs here, at Django's Argon2 parameters and at OWASP's (decision 0093).

Every login verifies one Argon2id hash, in the web worker, before anything else: its CPU
time is paid once per login on top of the pages. Prints, for each parameter set, the CPU
time and the wall time of one verification (median of 15, after one warm-up), and marks
the one the platform uses (cloudmentor.accounts.hashers).
"""

from __future__ import annotations

import resource
import statistics
import sys
import time
from pathlib import Path

from argon2 import PasswordHasher, Type

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cloudmentor.accounts.hashers import OwaspArgon2idHasher

ROUNDS = 15
# (label, memory KiB, passes, lanes): Django 5.2's Argon2PasswordHasher, then the OWASP Password
# Storage Cheat Sheet's equivalent Argon2id configurations.
PARAMETERS = [
    ("Django 5.2 default: m=100 MiB, t=2, p=8", 102_400, 2, 8),
    ("OWASP: m=46 MiB, t=1, p=1", 47_104, 1, 1),
    ("OWASP: m=19 MiB, t=2, p=1", 19_456, 2, 1),
    ("OWASP: m=12 MiB, t=3, p=1", 12_288, 3, 1),
    ("OWASP: m=9 MiB, t=4, p=1", 9_216, 4, 1),
    ("OWASP: m=7 MiB, t=5, p=1", 7_168, 5, 1),
]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(memory: int, passes: int, lanes: int) -> tuple[float, float]:
    """Return the median CPU and wall milliseconds of one verification."""
    hasher = PasswordHasher(time_cost=passes, memory_cost=memory, parallelism=lanes, type=Type.ID)
    encoded = hasher.hash("a member's passphrase")
    hasher.verify(encoded, "a member's passphrase")
    cpu, wall = [], []
    for _ in range(ROUNDS):
        cpu_started, wall_started = cpu_seconds(), time.perf_counter()
        hasher.verify(encoded, "a member's passphrase")
        wall.append((time.perf_counter() - wall_started) * 1000)
        cpu.append((cpu_seconds() - cpu_started) * 1000)
    return statistics.median(cpu), statistics.median(wall)


def main() -> None:
    used = (OwaspArgon2idHasher.memory_cost, OwaspArgon2idHasher.time_cost, OwaspArgon2idHasher.parallelism)
    print(f"{'Argon2id parameters':<42} {'CPU ms':>7} {'wall ms':>8}")
    for label, memory, passes, lanes in PARAMETERS:
        cpu, wall = measure(memory, passes, lanes)
        mark = "  <- the platform's (decision 0093)" if (memory, passes, lanes) == used else ""
        print(f"{label:<42} {cpu:>7.1f} {wall:>8.1f}{mark}")
    print(
        "(per login, in the web worker; the CPU time is what a 2-core machine pays, the wall time what the member waits)"
    )


if __name__ == "__main__":
    main()
