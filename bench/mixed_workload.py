"""Mixed workload (issue 10, item 8): Moodle's JMeter test plan sizes, on SQLite then PostgreSQL.

Each size of Moodle's test-plan generator (admin/tool/generator, testplan_backend.php) —
S 30, M 100, L 1,000, XL 5,000, XXL 10,000 members, with its loops and ramp-up — is
played by locust (bench/locust/mixed_plan.py, in its own venv .venv-bench) against the
production server configuration on 127.0.0.1 (gunicorn, the production profile's worker
count). A size is sustained when its p95 is under 300 ms with 0 errors; larger sizes are
tried only while the smaller ones pass. The members exist: each size has its own members,
created in bulk with a real password hash (the production Argon2id hasher: logins pay it).

Environment (all optional):
- BENCH_MIXED_SIZES: the sizes to try, in order (default "S,M,L,XL,XXL");
- BENCH_MIXED_SECONDS: cap each size's run at this many seconds (default: the whole plan,
  ramp-up plus every member's loops); a capped run is marked as such, indicative only;
- BENCH_MIXED_THINK_SECONDS: the mean think time (default 7; 0 for a smoke test).

Requirements and think-time model: docs/benchmarks.md, "Mixed workload".
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, demo_load, manage, server, sqlite_then_postgres

BENCH_PYTHON = ROOT / ".venv-bench" / "bin" / "python"
PLAN_SCRIPT = ROOT / "bench" / "locust" / "mixed_plan.py"
TARGET_P95_MS = 300.0
TARGET_SIZE = "XL"
PASSWORD = "bench member passphrase"  # the bench members' password, on a throwaway database
COURSE = "kubernetes-en-production"
LESSONS = [
    "architecture-cluster",
    "pods-et-deployments",
    "services-et-ingress",
    "sondes-et-ressources",
    "deploiement-progressif",
]
QUIZ = "examen-final"


@dataclass(frozen=True)
class Size:
    """One of Moodle's test plan sizes (tool_generator_testplan_backend: $users, $loops, $rampups)."""

    name: str
    users: int
    loops: int
    rampup: int


SIZES = [Size("S", 30, 5, 6), Size("M", 100, 5, 40), Size("L", 1000, 6, 100), Size("XL", 5000, 6, 500)]
SIZES.append(Size("XXL", 10000, 7, 800))
# Unmeasured, before the sizes: 20 members, 2 loops each, no think time (members numbered apart).
WARM_UP = Size("warm-up", 20, 2, 2)
WARM_UP_FIRST_MEMBER = 900_000
# The requests of one loop and the think times in it (bench/locust/mixed_plan.py).
REQUESTS_PER_LOOP = 13
THINKS_PER_LOOP = 9


def think_mean() -> float:
    return float(os.environ.get("BENCH_MIXED_THINK_SECONDS", "7"))


def plan_seconds(size: Size) -> float:
    """How long the whole plan should take: the ramp-up, then the last member's loops."""
    return size.rampup + size.loops * THINKS_PER_LOOP * think_mean() * 1.1 + 30


def peak_demand(size: Size) -> float:
    """Requests per second the plan asks for at its busiest (every member that has started and not finished)."""
    mean = think_mean()
    if mean <= 0:
        return float("nan")
    lifetime = size.loops * THINKS_PER_LOOP * mean
    active = min(size.users, size.users / max(size.rampup, 1) * lifetime)
    return active * REQUESTS_PER_LOOP / (THINKS_PER_LOOP * mean)


def sizes_wanted() -> list[Size]:
    names = [name.strip().upper() for name in os.environ.get("BENCH_MIXED_SIZES", "S,M,L,XL,XXL").split(",")]
    return [size for size in SIZES if size.name in names]


def seed_members(*, first: int, count: int) -> None:
    """Create `count` members with a paid Pro period, in bulk, with the production password hash."""
    from datetime import timedelta

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from cloudmentor.accounts.models import User
    from cloudmentor.billing.models import Customer, Plan, Subscription

    plan = Plan.objects.get(slug="pro-3-mois")
    password = make_password(PASSWORD)  # one real Argon2id hash: every login verifies it at full cost
    now = timezone.now()
    batch = 2000
    with transaction.atomic():
        for start in range(first, first + count, batch):
            numbers = range(start, min(start + batch, first + count))
            users = User.objects.bulk_create(
                [
                    User(username=f"member{n}", email=f"member{n}@bench.example", password=password, date_joined=now)
                    for n in numbers
                ]
            )
            customers = Customer.objects.bulk_create([Customer(user=user) for user in users])
            Subscription.objects.bulk_create(
                [
                    Subscription(
                        customer=customer,
                        plan=plan,
                        access_level=plan.access_level,
                        price=plan.price,
                        currency=plan.currency,
                        starts_at=now - timedelta(days=1),
                        ends_at=now + timedelta(days=80),
                        source=Subscription.Source.PURCHASE,
                        created_at=now - timedelta(days=1),
                    )
                    for customer in customers
                ]
            )


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def server_cpu_seconds() -> float:
    """CPU time used so far by the gunicorn processes this script started (master and workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pending = [pid for pid in _children(os.getpid()) if b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    while pending:
        pid = pending.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        pending += _children(pid)
    return total


def load_generator_cpu_seconds() -> float:
    """CPU time of the finished child processes (the load generator, once it has exited)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def play(base: str, size: Size, *, first_member: int, address_block: int, think: float | None = None) -> dict[str, Any]:
    """Play one size with locust in its own venv; return its JSON results."""
    capped_at = os.environ.get("BENCH_MIXED_SECONDS")
    seconds = float(capped_at) if capped_at else plan_seconds(size) * 1.5
    plan = {
        "base": base,
        "users": size.users,
        "loops": size.loops,
        "rampup": size.rampup,
        "think_mean": think_mean() if think is None else think,
        "seconds": seconds,
        "first_member": first_member,
        "member_prefix": "member",
        "password": PASSWORD,
        "address_block": address_block,
        "course": COURSE,
        "lessons": LESSONS,
        "quiz": QUIZ,
    }
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "DATABASE_URL"))}
    env["MIXED_PLAN"] = json.dumps(plan)
    server_before, generator_before = server_cpu_seconds(), load_generator_cpu_seconds()
    output = subprocess.run(
        [str(BENCH_PYTHON), str(PLAN_SCRIPT)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    server_cpu = server_cpu_seconds() - server_before
    generator_cpu = load_generator_cpu_seconds() - generator_before
    lines = [line for line in output.stdout.splitlines() if line.startswith("{")]
    if output.returncode != 0 or not lines:
        print(output.stderr[-3000:], file=sys.stderr)
        raise RuntimeError(f"the load generator failed (exit {output.returncode})")
    result = dict(json.loads(lines[-1]))
    requests = max(int(result["requests"]), 1)
    result["server_cpu_ms"] = server_cpu * 1000 / requests
    result["generator_cpu_ms"] = generator_cpu * 1000 / requests
    return result


def print_header(label: str, workers: int) -> None:
    print(
        f"\n-- {label}: gunicorn {workers} sync workers, locust on the same 2 cores, think time "
        f"{think_mean():g} s mean (negative exponential, max {10 * think_mean():g} s) --",
        flush=True,
    )
    print(
        f"{'size':<5} {'members':>7} {'loops':>5} {'ramp-up':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'requests':>9} {'errors':>6}  verdict"
    )


def run_phase(label: str) -> None:
    """Prepare the site, then play each size until one fails; called inside the configured environment."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudmentor.settings")
    env = dict(os.environ)
    manage(env, "collectstatic", "--noinput")
    demo_load(env)
    django.setup()
    # Members come through the bench's "proxy" (127.0.0.1) each with its own address, as behind
    # the production load balancer: per-address throttles see one person each, and keep their
    # default limits.
    env["TRUSTED_PROXIES"] = "127.0.0.1"
    workers = multiprocessing.cpu_count() * 2 + 1  # gunicorn.conf.py's production default
    largest = "none"
    first_member = 0
    print_header(label, workers)
    with server(env, workers=workers) as base:
        # Warm-up, unmeasured, as Moodle's plan has: every worker loads its code and templates.
        seed_members(first=WARM_UP_FIRST_MEMBER, count=WARM_UP.users)
        play(base, WARM_UP, first_member=WARM_UP_FIRST_MEMBER, address_block=250, think=0.0)
        for index, size in enumerate(sizes_wanted()):
            started = time.monotonic()
            seed_members(first=first_member, count=size.users)
            seeded = time.monotonic() - started
            result = play(base, size, first_member=first_member, address_block=index + 1)
            first_member += size.users
            errors = int(result["failures"])
            p95 = float(result["p95"])
            ok = errors == 0 and p95 < TARGET_P95_MS and not result["capped"]
            if result["capped"] and not os.environ.get("BENCH_MIXED_SECONDS"):
                verdict = "MISSED (the members did not finish within 1.5x the plan's length)"
            elif result["capped"]:
                verdict = f"capped at {result['seconds']:.0f} s: indicative only"
                ok = errors == 0 and p95 < TARGET_P95_MS
            else:
                verdict = "sustained" if ok else "MISSED"
            print(
                f"{size.name:<5} {size.users:>7,} {size.loops:>5} {size.rampup:>6}s "
                f"{result['requests_per_second']:>7.1f} {result['p50']:>7.0f} {p95:>7.0f} {result['p99']:>7.0f} "
                f"{result['requests']:>9,} {errors:>6}  {verdict} ({result['seconds']:.0f} s, members seeded in "
                f"{seeded:.1f} s)",
                flush=True,
            )
            cpu = result["server_cpu_ms"] + result["generator_cpu_ms"]
            print(
                f"      CPU per request: server {result['server_cpu_ms']:.1f} ms + load generator "
                f"{result['generator_cpu_ms']:.1f} ms -> at most ~{os.cpu_count() or 1:d}x1000/{cpu:.1f} = "
                f"{(os.cpu_count() or 1) * 1000 / cpu:.0f} req/s on this machine; the plan's peak asks "
                f"~{peak_demand(size):.0f} req/s",
                flush=True,
            )
            if os.environ.get("BENCH_MIXED_VERBOSE"):
                for name, page in result["pages"].items():
                    print(f"      {name:<40} {page}")
            for error, count in result["errors"].items():
                print(f"      error x{count}: {error[:160]}")
            if not ok:
                break
            largest = size.name
    reached = [size.name for size in SIZES].index(largest) if largest != "none" else -1
    verdict = "ok" if reached >= [size.name for size in SIZES].index(TARGET_SIZE) else "MISSED"
    print(
        f"mixed workload, {label}: largest size sustained (p95 < {TARGET_P95_MS:.0f} ms, 0 errors): "
        f"{largest} (target: {TARGET_SIZE}) {verdict}",
        flush=True,
    )
    if verdict != "ok":
        sys.exit(f"missed: mixed workload on {label}, {TARGET_SIZE} not sustained")


def main() -> int:
    if not BENCH_PYTHON.exists():
        sys.exit(
            "the load generator's venv is missing: make bench (or python3 -m venv .venv-bench && "
            ".venv-bench/bin/pip install -r bench/requirements.txt)"
        )
    return sqlite_then_postgres(__file__, "mixed", run_phase)


if __name__ == "__main__":
    sys.exit(main())
