"""`make bench`: load scenarios against the production server configuration, on 127.0.0.1.

Prints throughput and p99 latency of each page next to the framework floor (a bare Django
view on the same server), then runs every other script in `bench/`, each bounded in
time, which print their own figures next to their targets.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, ROOT, LoadResult, load, prepared_site, print_table, server

SECONDS = 8
# Each script's time limit; the mixed workload plays whole Moodle plans (docs/benchmarks.md).
TIMEOUT_SECONDS = 900
TIMEOUTS = {"mixed_workload.py": 3 * 3600}


def web_pages() -> None:
    with prepared_site() as (_var_dir, env), server(env) as base:
        floor = load("framework floor (bare Django view)", base + "/__floor__", seconds=SECONDS)
        results: list[LoadResult] = [
            floor,
            load("home page, visitor (fr)", base + "/", seconds=SECONDS),
            load("home page, visitor (en)", base + "/en/", seconds=SECONDS),
            load("cookie policy, visitor", base + "/legal/cookies/", seconds=SECONDS),
        ]
    print("\n== Web pages (gunicorn, 2 sync workers, 16 connections) ==")
    print_table(results, floor)
    print("Targets: none for these pages yet (later issues add them).")


def other_benchmarks() -> None:
    helpers = {"run.py", "common.py", "floor_wsgi.py", "__init__.py"}
    for script in sorted(p for p in Path(ROOT, "bench").glob("*.py") if p.name not in helpers):
        print(f"\n== {script.stem} ==", flush=True)
        started = time.monotonic()
        timeout = TIMEOUTS.get(script.name, TIMEOUT_SECONDS)
        result = subprocess.run([PYTHON, str(script)], cwd=ROOT, timeout=timeout, check=False)
        print(f"({script.name}: exit {result.returncode}, {time.monotonic() - started:.0f} s)")


def main() -> None:
    web_pages()
    other_benchmarks()


if __name__ == "__main__":
    main()
