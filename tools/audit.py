"""`make audit`: issue 11's checks from outside, every form fuzzed, the cookie key matrix — one count.

Runs the tests marked `audit` (tests/audit/) in this process and prints
"N checks, N passed"; exits non-zero unless every check passed. Extra arguments go to
pytest (e.g. `tools/audit.py -x -k cookie`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


class _Count:
    """Counts each check (a test, each of its parametrised cases) once, by its outcome."""

    def __init__(self) -> None:
        self.outcomes: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            self.outcomes[report.nodeid] = report.outcome
        elif report.when == "teardown" and report.outcome == "failed":
            self.outcomes[report.nodeid] = "failed"


def main(arguments: list[str]) -> int:
    count = _Count()
    code = pytest.main(
        [str(ROOT / "tests" / "audit"), "-m", "audit", "-p", "no:xdist", "-q", "--no-header", *arguments],
        plugins=[count],
    )
    checks = len(count.outcomes)
    passed = sum(outcome == "passed" for outcome in count.outcomes.values())
    print(f"\n{checks} checks, {passed} passed")
    return 0 if checks and passed == checks and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
