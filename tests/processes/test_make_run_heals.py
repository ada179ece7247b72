"""SC-4: under the supervisor `make run` uses, a killed process is back within 10 s and the
others keep serving; Ctrl-C (SIGINT) stops everything.

Real processes: scripts/supervise.py (supervisord) runs the Procfile's gunicorn, task worker
and scheduler on a temporary, migrated SQLite database and a free port (no demo content).
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
HEAL_SECONDS = 10

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(what: str, check: Callable[[], bool], seconds: float) -> float:
    """Poll `check` until it holds; return how long it took. Fails after `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if check():
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {seconds} s")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) is not alive.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


@dataclass
class Site:
    env: dict[str, str]
    port: int
    supervisor: subprocess.Popen[bytes]
    console: Path
    seen: set[int] = field(default_factory=set)

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def pid(self, name: str) -> int:
        """The pid supervisord reports for `name` (0 while it is not running)."""
        out = subprocess.run(
            [VENV_BIN / "supervisorctl", "-c", self.env["CLOUDMENTOR_VAR_DIR"] + "/run/supervisord.conf", "pid", name],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.strip()
        pid = int(out) if out.isdigit() else 0
        if pid:
            self.seen.update([pid, *_children(pid)])
        return pid

    def manage(self, code: str) -> str:
        return subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    var_dir = tmp_path / "var"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "CLOUDMENTOR_ENV", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "SITE_URL"}
    }
    port = _free_port()
    env.update(
        CLOUDMENTOR_VAR_DIR=str(var_dir),
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        SCHEDULER_TICK_SECONDS="1",
    )
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=BASE_DIR, env=env, check=True, timeout=300
    )
    console = tmp_path / "console.log"
    with console.open("ab") as out:  # append mode: supervisord and its programs share it
        supervisor = subprocess.Popen(
            [sys.executable, "scripts/supervise.py"],
            cwd=BASE_DIR,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Site(env=env, port=port, supervisor=supervisor, console=console)
    try:
        _wait("the site answers after start", running.answers, 60)
        yield running
    finally:
        if supervisor.poll() is None:
            supervisor.send_signal(signal.SIGINT)
            try:
                supervisor.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(supervisor.pid, signal.SIGKILL)
        for pid in running.seen:  # nothing of the test may outlive it
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_sc4_a_killed_web_master_worker_or_scheduler_is_back_within_10_s_and_ctrl_c_stops_all(site: Site) -> None:
    names = ["web", "worker", "scheduler"]
    pids = {name: site.pid(name) for name in names}
    assert all(pids.values()), pids

    # A task the worker had claimed when it dies: the restarted worker takes it back and runs it.
    host = socket.gethostname()[:40]
    task_id = site.manage(
        "from django_tasks_db.models import DBTaskResult, get_date_max; from django.utils import timezone; "
        "print(DBTaskResult.objects.create(status='RUNNING', args_kwargs={'args': [999999], 'kwargs': {}}, "
        "task_path='cloudmentor.mailing.tasks.email_send_task', backend_name='default', run_after=get_date_max(), "
        f"worker_ids=['{host}:{pids['worker']}:testtest'], started_at=timezone.now()).pk)"
    ).strip()

    status = f"from django_tasks_db.models import DBTaskResult; print(DBTaskResult.objects.get(pk='{task_id}').status)"
    # An email asked for through the web server is printed on the console, linking to this port.
    site.manage(
        "from cloudmentor.accounts.models import User; "
        "User.objects.create_user(username='ada', email='ada@example.com', password='a long password 1')"
    )
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    forgot = f"http://127.0.0.1:{site.port}/accounts/password/forgot/"
    with browser.open(forgot, timeout=10) as page:
        token = re.search(r'name="form_token" value="([^"]+)"', page.read().decode())
    assert token is not None
    form = urllib.parse.urlencode({"form_token": token.group(1), "email": "ada@example.com"}).encode()
    with browser.open(forgot, data=form, timeout=10) as sent:
        assert sent.status == 200
    reset_link = f"http://127.0.0.1:{site.port}/accounts/password/reset/"
    _wait("the email on the console", lambda: reset_link in site.console.read_text(errors="replace"), 15)

    for name in names:
        victim = pids[name]
        old_children = _children(victim)
        others = {other: pid for other, pid in pids.items() if other != name}
        os.kill(victim, signal.SIGKILL)

        took = _wait(
            f"{name} restarted", lambda name=name, victim=victim: site.pid(name) not in (0, victim), HEAL_SECONDS
        )
        answered = took + _wait(f"the site answers after {name} was killed", site.answers, HEAL_SECONDS - took)
        print(f"{name}: back in {took:.1f} s, the site answers {answered:.1f} s after the kill")
        pids[name] = site.pid(name)
        # Nothing else stopped.
        assert {other: site.pid(other) for other in others} == others
        assert all(_alive(pid) for pid in others.values())
        # The killed master's gunicorn workers do not linger as orphans.
        _wait(f"{name}'s old children gone", lambda kids=old_children: not any(_alive(p) for p in kids), HEAL_SECONDS)

        if name == "worker":
            _wait("the interrupted task ran again", lambda: site.manage(status).strip() == "SUCCESSFUL", 30)

    # Ctrl-C: SIGINT reaches supervisord (its programs have their own process groups).
    site.supervisor.send_signal(signal.SIGINT)
    assert site.supervisor.wait(timeout=40) == 0
    for pid in {*pids.values(), *(c for p in pids.values() for c in _children(p))} | site.seen:
        _wait(f"process {pid} gone after Ctrl-C", lambda pid=pid: not _alive(pid), 5)

    console = site.console.read_text(errors="replace")
    assert f"Listening at: http://127.0.0.1:{site.port}" in console
    assert "127.0.0.1:8000" not in console  # every link follows PORT (SC-6)
    assert "exited: web (terminated by SIGKILL" in console
    # The console stays readable: no routine line of the scheduler or the task worker.
    assert "email(s) enqueued" not in console and "ran analytics_ingest" not in console
    assert "state=SUCCESSFUL" not in console
    # ... which are in the log file under var/.
    log = (Path(site.env["CLOUDMENTOR_VAR_DIR"]) / "log" / "cloudmentor.log").read_text()
    assert "ran mailing_retry" in log and "state=SUCCESSFUL" in log
