"""PV-5 durability under kill -9: a real gunicorn, a real load, workers and ingester killed."""

from __future__ import annotations

import http.client
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

ROOT = Path(settings.BASE_DIR)
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PAGES = ["/", "/en/", "/contact/", "/legal/privacy/", "/no-such-page/", "/healthz"]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


class Load:
    """Clients sending numbered requests; remembers which got a whole response."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.numbers = itertools.count()
        self.responded: list[int] = []
        self.failed = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def client(self) -> None:
        while not self.stop.is_set():
            number = next(self.numbers)
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                connection.request("GET", f"{PAGES[number % len(PAGES)]}?probe={number}")
                response = connection.getresponse()
                response.read()
                with self.lock:
                    self.responded.append(number)
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.failed += 1  # no response: the worker died with it, or refused
            finally:
                connection.close()


def test_pv5_kill_9_of_a_worker_mid_load_loses_no_answered_request_and_duplicates_none(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    database = var_dir / "db.sqlite3"
    spool_dir = var_dir / "spool"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CLOUDMENTOR_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="cloudmentor.settings",
        CLOUDMENTOR_ENV="test",
        CLOUDMENTOR_VAR_DIR=str(var_dir),
        DATABASE_URL=f"sqlite:///{database}",
        ANALYTICS_SPOOL_DIR=str(spool_dir),
        ANALYTICS_ENABLED="true",
        LOG_LEVEL="ERROR",
        WEB_CONCURRENCY="2",
    )
    manage = [PYTHON, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=120)

    port = _free_port()
    command = [GUNICORN, "cloudmentor.wsgi:application", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*command, "--workers", "2", "--graceful-timeout", "5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ingester = subprocess.Popen(
        [*manage, "analytics_ingest", "--loop", "0.2"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    load = Load(port)
    killed: list[int] = []
    try:
        deadline = time.monotonic() + 30
        for attempt in itertools.count():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", f"/healthz?probe=warmup{attempt}")
                connection.getresponse().read()
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, "gunicorn did not start"
                time.sleep(0.2)
        with ThreadPoolExecutor(max_workers=8) as pool:
            for _ in range(8):
                pool.submit(load.client)
            time.sleep(2.5)
            victim = _children(server.pid)[0]
            os.kill(victim, signal.SIGKILL)  # a worker dies in the middle of the load
            killed.append(victim)
            time.sleep(1.5)
            os.kill(ingester.pid, signal.SIGKILL)  # and the ingester, in the middle of a batch or not
            ingester.wait()
            ingester = subprocess.Popen(
                [*manage, "analytics_ingest", "--loop", "0.2"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
            )
            time.sleep(1.5)
            second = next(pid for pid in _children(server.pid) if pid not in killed)
            os.kill(second, signal.SIGKILL)  # the other original worker too
            killed.append(second)
            time.sleep(2.5)
            load.stop.set()
    finally:
        load.stop.set()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        ingester.send_signal(signal.SIGTERM)
        ingester.wait(timeout=30)

    subprocess.run([*manage, "analytics_ingest"], cwd=ROOT, env=env, check=True, timeout=120, stdout=subprocess.DEVNULL)
    with sqlite3.connect(database) as db:
        queries = [row[0] for row in db.execute("SELECT query FROM analytics_requestrecord WHERE query LIKE 'probe=%'")]
    recorded = Counter(query.removeprefix("probe=") for query in queries if not query.startswith("probe=warmup"))
    answered = {str(number) for number in load.responded}
    lost = answered - set(recorded)
    duplicated = {probe: count for probe, count in recorded.items() if count > 1}
    unanswered_but_recorded = set(recorded) - answered
    print(
        f"\nkill -9 of {len(killed)} workers and the ingester: {len(answered)} requests answered, "
        f"{len(recorded)} recorded, {len(lost)} lost, {len(duplicated)} duplicated, "
        f"{load.failed} without a response ({len(unanswered_but_recorded)} of them recorded)"
    )
    assert len(answered) > 100, "the load was too light to prove anything"
    assert load.failed >= 0
    assert lost == set()
    assert duplicated == {}
    assert not list(spool_dir.glob("*.spool")), "every finished spool file is ingested and deleted"
