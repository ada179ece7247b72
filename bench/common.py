"""Shared helpers of the benchmarks: a production-like server and a wrk runner."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """Environment of a production-profile server on plain HTTP on 127.0.0.1."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CLOUDMENTOR_", "DATABASE_URL"))}
    env.update(
        CLOUDMENTOR_ENV="production",
        CLOUDMENTOR_VAR_DIR=str(var_dir),
        SECRET_KEY="bench-secret-key-" + "x" * 50,
        COOKIE_KEYS="bench-cookie-key",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SITE_URL="http://127.0.0.1",  # required in production (absolute links, SC-6)
        SECURE_SSL_REDIRECT="false",
        DATABASE_URL=os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{var_dir}/db.sqlite3"),
        LOG_LEVEL="WARNING",
        # Production refuses to start without the seller's invoice details (BZ-3).
        BILLING_SELLER_ADDRESS="1 rue du Banc d'Essai, 75011 Paris",
        BILLING_SELLER_SIRET="73282932000074",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def demo_load(env: dict[str, str]) -> None:
    """Load the demo content into the bench's throwaway database.

    `demo_load` refuses a production site (TR-6); the bench database is not one, so the
    command runs with the development profile on the same database and var folder.
    """
    manage({**env, "CLOUDMENTOR_ENV": "development"}, "demo_load")


@contextmanager
def prepared_site(**extra: str) -> Iterator[tuple[Path, dict[str, str]]]:
    """A fresh database with the demo content, in a temporary folder."""
    var_dir = Path(tempfile.mkdtemp(prefix="cloudmentor-bench."))
    env = bench_env(var_dir, **extra)
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        demo_load(env)
        yield var_dir, env
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


@contextmanager
def server(env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """Run gunicorn (sync workers, production config) with the bench WSGI app."""
    port = free_port()
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "bench.floor_wsgi:application",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("the bench server did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class LoadResult:
    name: str
    requests_per_second: float
    p99_ms: float
    errors: int


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def load(
    name: str, url: str, *, seconds: int = 8, connections: int = 16, headers: dict[str, str] | None = None
) -> LoadResult:
    """Load `url` with wrk for `seconds` and return throughput and p99 latency."""
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is missing: scripts/install-system-deps.sh wrk")
    header_args = [arg for key, value in (headers or {}).items() for arg in ("-H", f"{key}: {value}")]
    # Warm-up, so every worker has loaded templates and opened its connection.
    subprocess.run([wrk, "-t1", "-c4", "-d1s", *header_args, url], capture_output=True, check=True)
    output = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", *header_args, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps_match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p99_match = re.search(r"99%\s+(\d[\d.]*(?:us|ms|s))", output)
    if rps_match is None or p99_match is None:  # wrk answered nothing usable (overloaded machine)
        print(f"wrk output for {name} could not be read:\n{output}", file=sys.stderr)
        return LoadResult(name, 0.0, float("nan"), -1)
    rps = float(rps_match.group(1))
    p99 = _ms(p99_match.group(1))
    errors_match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    errors = int(errors_match.group(1)) if errors_match else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return LoadResult(name, rps, p99, errors)


def print_table(results: list[LoadResult], floor: LoadResult) -> None:
    print(f"{'scenario':<44} {'req/s':>9} {'p99 ms':>8} {'vs floor':>9} {'errors':>7}")
    for result in results:
        ratio = result.requests_per_second / floor.requests_per_second if floor.requests_per_second else 0.0
        print(
            f"{result.name:<44} {result.requests_per_second:>9.0f} {result.p99_ms:>8.1f} {ratio:>8.1%} {result.errors:>7}"
        )


# A timed phase on a fresh SQLite database, then on a throwaway PostgreSQL cluster ------------


def _in_fresh_database(script: str, name: str, label: str, database_url: str | None) -> int:
    """Migrate a fresh database and run the script's timed phase in a child process against it."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"cloudmentor-bench-{name}."))
    try:
        extra = {"DATABASE_URL": database_url} if database_url else {}
        env = bench_env(var_dir, **extra)
        manage(env, "migrate", "--noinput")
        child = subprocess.run([PYTHON, script, "--phase", "run", "--label", label], cwd=ROOT, env=env, check=False)
        return child.returncode
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def _postgres_database(cluster_url: str, name: str) -> str:
    """Create an empty database `bench_<name>` in the throwaway cluster; return its URL."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(cluster_url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS bench_{name}")
        connection.execute(f"CREATE DATABASE bench_{name}")
    return urlunsplit(parts._replace(path=f"/bench_{name}"))


def sqlite_then_postgres(script: str, name: str, run_phase: Callable[[str], None]) -> int:
    """The `main()` of a bench script: `run_phase(label)` on SQLite, then on PostgreSQL.

    The script calls itself back with ``--phase run`` (inside a prepared database) and
    ``--phase postgres`` (inside scripts/with-postgres.sh).
    """
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--phase", choices=["all", "run", "postgres"], default="all")
    parser.add_argument("--label", default="SQLite")
    args = parser.parse_args()
    if args.phase == "run":
        run_phase(args.label)
        return 0
    if args.phase == "postgres":
        url = _postgres_database(os.environ["DATABASE_URL"], name)
        return _in_fresh_database(script, name, "PostgreSQL", url)
    status = _in_fresh_database(script, name, "SQLite", None)
    with_postgres = ROOT / "scripts" / "with-postgres.sh"
    postgres = subprocess.run([str(with_postgres), PYTHON, script, "--phase", "postgres"], cwd=ROOT, check=False)
    return status or postgres.returncode
