"""The production server, for real: gunicorn with several workers, driven over HTTP (SC-1..SC-6).

Tests here start the production configuration (``gunicorn.conf.py``, sync workers, the
middleware stack of ``cloudmentor.settings``) on a fresh database, and talk to it through
a real HTTP client: each request may be served by any worker, as behind ``make run``.
Mark every test module ``pytestmark = pytest.mark.slow``.

The `server` fixture (one server per test module) gives:

- ``server.base_url`` (``http://127.0.0.1:<free port>``) and ``server.url(path)``;
- ``server.browser()``: a `Browser` (a ``requests.Session`` that keeps the sealed cookies
  the server sets, takes paths, never follows redirects unless asked, and fills in a form's
  ``form_token`` or CSRF token with ``submit(path, data)``);
- ``server.manage(*args)``: run ``manage.py`` against the same database, stamps and
  ``var/`` (returns its output); ``server.shell(code)`` runs ``manage.py shell -c``;
- ``server.member(username)`` creates an account (password `PASSWORD`);
  ``server.staff(username)`` creates a staff account with a confirmed TOTP device and
  returns a `StaffAccount` whose ``code()`` gives the current code (each step once:
  django-otp refuses a code twice);
- ``server.log_in(browser, identifier)`` logs in through the real login form;
  ``server.staff_log_in(browser, staff)`` adds the TOTP step;
- ``server.access_mark()`` and ``server.workers_since(mark)``: which worker processes
  served the requests made since the mark (from gunicorn's access log), to check that a
  test's requests did reach several workers.

What the server runs with: ``CLOUDMENTOR_ENV=development`` (no HTTPS), ``DEBUG`` off,
``WEB_CONCURRENCY=3``, a temporary ``var/`` (secrets, spool, and the change stamps file
``var/cache-stamps`` shared by its workers and by ``manage``), on 127.0.0.1 only. The
database is SQLite in that ``var/``, or, when the test run's ``DATABASE_URL`` names
PostgreSQL (``scripts/with-postgres.sh``), a new database on that server, dropped at the
end. A module changes the server's environment by overriding the `server_env` fixture
(e.g. ``{"EMAIL_URL": "smtp://127.0.0.1:2525"}``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from django_otp.oath import totp

from conftest import free_port

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery staple 42"
WORKERS = 3
START_SECONDS = 40
STOP_SECONDS = 15
HTTP_SECONDS = 15
ACCESS_FORMAT = '%(p)s "%(r)s" %(s)s'

_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_ACCESS_PID = re.compile(r"<(\d+)> ")  # gunicorn writes the %(p)s atom as <pid>


class Browser(requests.Session):
    """An HTTP client for one device: it keeps its cookies and takes the server's paths."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        url = str(url)
        if url.startswith("/"):
            url = self.base_url + url
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", HTTP_SECONDS)
        return super().request(method, url, *args, **kwargs)

    def get(self, url: str | bytes, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)  # requests' own get follows them
        return self.request("GET", url, **kwargs)

    def submit(self, path: str, data: dict[str, Any], *, page: str | None = None) -> requests.Response:
        """Show the form at `page` (default `path`), then post `data` with its form token or CSRF token."""
        shown = self.get(page or path, allow_redirects=True)
        assert shown.status_code == 200, f"{page or path} answered {shown.status_code}"
        tokens: dict[str, str] = {}
        if match := _FORM_TOKEN.search(shown.text):
            tokens["form_token"] = match.group(1)
        if match := _CSRF_TOKEN.search(shown.text):
            tokens["csrfmiddlewaretoken"] = match.group(1)
        assert tokens, f"{page or path} carries neither a form token nor a CSRF token"
        return self.post(path, {**tokens, **data})


@dataclass
class StaffAccount:
    """A staff account with a confirmed TOTP device; `code()` hands out each time step once."""

    username: str
    password: str
    key: bytes
    step: int = 30
    last_counter: int = -1
    lock: threading.Lock = field(default_factory=threading.Lock)

    def code(self) -> str:
        """Return the code of the current step, waiting for the next step if this one was handed out."""
        with self.lock:
            counter = int(time.time()) // self.step
            if counter <= self.last_counter:
                time.sleep((self.last_counter + 1) * self.step - time.time() + 0.05)
                counter = int(time.time()) // self.step
            self.last_counter = counter
            return f"{totp(self.key, step=self.step, t0=0, digits=6, drift=0):06d}"


@dataclass
class Server:
    base_url: str
    var_dir: Path
    env: dict[str, str]
    access_log: Path
    error_log: Path
    process: subprocess.Popen[bytes] | None = None

    def url(self, path: str) -> str:
        return self.base_url + path

    def browser(self) -> Browser:
        return Browser(self.base_url)

    def manage(self, *args: str, check: bool = True) -> str:
        """Run ``manage.py <args>`` on the server's database, stamps and var/; return its output."""
        done = subprocess.run(
            [str(BIN / "python"), "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"manage.py {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
        return done.stdout

    def shell(self, code: str) -> str:
        """Run Python in ``manage.py shell -c`` (the server's settings and database); return its output."""
        return self.manage("shell", "-c", code)

    def member(self, username: str, *, email: str | None = None, password: str = PASSWORD) -> str:
        """Create a member account; return its username."""
        email = email or f"{username}@example.org"
        self.shell(
            "from cloudmentor.accounts.models import User\n"
            f"User.objects.create_user(username={username!r}, email={email!r}, password={password!r})"
        )
        return username

    def staff(self, username: str, *, password: str = PASSWORD) -> StaffAccount:
        """Create a staff account (superuser) with a confirmed TOTP device; return it."""
        out = self.shell(
            "from cloudmentor.accounts.models import User\n"
            "from cloudmentor.accounts.services import staff_totp_device_create\n"
            f"user = User.objects.create_superuser(username={username!r}, email={username + '@example.org'!r},"
            f" password={password!r})\n"
            "device = staff_totp_device_create(user=user)\n"
            "print('KEY', device.key, device.step)"
        )
        match = re.search(r"KEY ([0-9a-f]+) (\d+)", out)
        assert match, out
        return StaffAccount(
            username=username, password=password, key=bytes.fromhex(match.group(1)), step=int(match.group(2))
        )

    def log_in(self, browser: Browser, identifier: str, password: str = PASSWORD) -> requests.Response:
        """Log in through the real login form; fail unless the server sends the browser on (302)."""
        response = browser.submit("/accounts/login/", {"identifier": identifier, "password": password})
        assert response.status_code == 302, f"login of {identifier} answered {response.status_code}"
        return response

    def staff_log_in(self, browser: Browser, staff: StaffAccount) -> requests.Response:
        """Log in as `staff`, then pass the TOTP step; fail unless the server opens /staff/."""
        self.log_in(browser, staff.username, staff.password)
        response = browser.submit(
            "/accounts/staff/verify/", {"token": staff.code(), "next": "/staff/"}, page="/accounts/staff/verify/"
        )
        assert response.status_code == 302 and response.headers["Location"] == "/staff/", (
            f"the TOTP step answered {response.status_code} {response.headers.get('Location')}"
        )
        return response

    def access_mark(self) -> int:
        """Return a mark in the access log: `workers_since(mark)` looks at what comes after it."""
        return self.access_log.stat().st_size if self.access_log.exists() else 0

    def workers_since(self, mark: int) -> set[int]:
        """Return the ids of the worker processes that served the requests logged after `mark`."""
        time.sleep(0.1)  # each worker writes its own lines
        with self.access_log.open("rb") as log:
            log.seek(mark)
            lines = log.read().decode(errors="replace").splitlines()
        return {int(match.group(1)) for line in lines if (match := _ACCESS_PID.match(line))}

    def log_tail(self, characters: int = 4000) -> str:
        return self.error_log.read_text(errors="replace")[-characters:] if self.error_log.exists() else ""

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.split(":", 1)[0] in {"postgres", "postgresql", "pgsql"} else None


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _postgres(url: str, statement: str) -> None:
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password or None,
        dbname="postgres",  # the run's own database may not exist yet (pytest-django creates test_<name>)
        autocommit=True,
    ) as connection:
        connection.execute(statement)  # our own DDL, with names made here


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    """Extra environment for the module's server; override it in a test module."""
    return {}


@pytest.fixture(scope="session")
def _static_files() -> None:
    """The production storage serves collected files by their manifest: collect them once per run."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cloudmentor.settings", "CLOUDMENTOR_ENV": "development"}
    # pytest-xdist's workers each ask: one collects at a time into the shared folder.
    with (Path(tempfile.gettempdir()) / "cloudmentor-collectstatic.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(
            [str(BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=BASE_DIR,
            env=env,
            check=True,
            timeout=120,
        )


@pytest.fixture(scope="module")
def server(server_env: dict[str, str], _static_files: None) -> Iterator[Server]:
    """Start gunicorn (production configuration, 3 workers) on a fresh database; stop it after the module."""
    with tempfile.TemporaryDirectory(prefix="cloudmentor-multiprocess-") as tmp:
        var_dir = Path(tmp) / "var"
        var_dir.mkdir()
        port = free_port()
        postgres = _postgres_url()
        database_name = f"cm_multiprocess_{uuid.uuid4().hex[:12]}"
        if postgres:
            _postgres(postgres, f'CREATE DATABASE "{database_name}"')
            database_url = _with_database(postgres, database_name)
        else:
            database_url = f"sqlite:///{var_dir / 'db.sqlite3'}"
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "CLOUDMENTOR_", "PYTEST_")) and key not in {"DATABASE_URL", "DEBUG"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="cloudmentor.settings",
            CLOUDMENTOR_ENV="development",
            CLOUDMENTOR_VAR_DIR=str(var_dir),
            DATABASE_URL=database_url,
            DEBUG="false",
            HOST="127.0.0.1",
            PORT=str(port),
            WEB_CONCURRENCY=str(WORKERS),
            WEB_ACCESS_LOG=str(var_dir / "access.log"),
            EMAIL_URL="consolemail://",
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
        )
        env.update(server_env)
        server = Server(
            base_url=f"http://127.0.0.1:{port}",
            var_dir=var_dir,
            env=env,
            access_log=var_dir / "access.log",
            error_log=var_dir / "server.log",
        )
        try:
            server.manage("migrate", "--noinput", "-v0")
            with server.error_log.open("wb") as log:
                server.process = subprocess.Popen(
                    [
                        str(BIN / "gunicorn"),
                        "cloudmentor.wsgi:application",
                        "--config",
                        "gunicorn.conf.py",
                        "--access-logformat",
                        ACCESS_FORMAT,
                    ],
                    cwd=BASE_DIR,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            _wait_until_serving(server)
            yield server
        finally:
            _stop(server)
            if postgres:
                _postgres(postgres, f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')


def _wait_until_serving(server: Server) -> None:
    """Wait until every worker has started and answers (each loads Django at its first request)."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert server.process is not None
        if server.process.poll() is not None:
            raise AssertionError(f"gunicorn exited ({server.process.returncode}):\n{server.log_tail()}")
        if len(server.worker_pids()) >= WORKERS:
            try:
                if requests.get(server.url("/healthz"), timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
        time.sleep(0.2)
    else:
        raise AssertionError(f"gunicorn did not serve within {START_SECONDS} s:\n{server.log_tail()}")
    # Warm every worker: concurrent requests reach idle workers, each imports the project once.
    threads = [threading.Thread(target=_quietly_get, args=(server.url("/healthz"),)) for _ in range(WORKERS * 3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _quietly_get(url: str) -> None:
    with contextlib.suppress(requests.RequestException):
        requests.get(url, timeout=HTTP_SECONDS)


def _stop(server: Server) -> None:
    """Stop gunicorn gracefully (TERM to the master), then kill its whole process group if it lingers."""
    process = server.process
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_SECONDS)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep each module's tests on one xdist worker (``--dist loadgroup``): one server per module, not one per worker."""
    if not config.pluginmanager.hasplugin("xdist"):
        return  # -p no:xdist: the marker is not even registered
    for item in items:
        path = Path(str(item.fspath))
        if path.parent == Path(__file__).parent:
            item.add_marker(pytest.mark.xdist_group(f"multiprocess-{path.stem}"))
