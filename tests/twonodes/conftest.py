"""Two web nodes behind nginx, on one PostgreSQL and one Redis, for real (SC-5).

The `cluster` fixture (one per test module) starts, on free ports of 127.0.0.1:

- **Redis** (Debian ``redis-server --save '' --appendonly no``, in a temporary folder);
- a fresh database on the PostgreSQL of the run: the throwaway cluster that
  ``scripts/with-postgres.sh`` starts as an unprivileged user (PostgreSQL refuses root);
  without a PostgreSQL ``DATABASE_URL`` the module is skipped (``make pytest-postgres`` runs it);
  without nginx or redis-server it is skipped, or fails under ``CI=true``;
- **two nodes, A and B**: each its own ``var/`` (so its own request-log spool and stamps file),
  its own port, the production server configuration (gunicorn, ``gunicorn.conf.py``, 3 sync
  workers), its own task worker and its own scheduler (the lease lets one act at a time:
  docs/decisions/0004), all with ``REDIS_URL`` (throttle-free cache and change stamps shared),
  the same ``DATABASE_URL``, ``SECRET_KEY`` and ``COOKIE_KEYS``, and ``EMAIL_URL`` pointing at
  one real SMTP server (aiosmtpd) run by the test;
- **nginx** in front (Debian nginx, a generated configuration in the temporary folder,
  ``daemon off``): round robin over A and B, no stickiness, run as an unprivileged user when
  the tests run as root.

Everything is stopped and removed at the end, even when a test fails; every wait is bounded.
Each test makes its own accounts and checks what it caused, so a module split over two
xdist workers (two clusters) stays green; ``xdist_group`` asks for one worker per module.
The nodes reuse the pieces of ``tests/multiprocess/conftest.py`` (`Server`, `Browser`, the
start and stop of gunicorn). Each request of a test says which node it goes to
(``cluster.a``, ``cluster.b``) or goes through nginx (``cluster.front``).
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import SmtpServer, _Collector, free_port
from tests.multiprocess.conftest import (
    ACCESS_FORMAT,
    BASE_DIR,
    BIN,
    Browser,
    Server,
    _postgres,
    _postgres_url,
    _static_files,
    _stop,
    _wait_until_serving,
    _with_database,
)

START_SECONDS = 20
STOP_SECONDS = 10
UNPRIVILEGED_USER = "cmtest"  # the user scripts/with-postgres.sh runs PostgreSQL as


@dataclass
class Cluster:
    a: Server
    b: Server
    front_url: str
    redis_url: str
    smtp: SmtpServer
    tmp: Path
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def nodes(self) -> tuple[Server, Server]:
        return (self.a, self.b)

    def browser(self) -> NodeBrowser:
        return NodeBrowser(self.a.base_url)

    def front(self) -> Browser:
        """A client of nginx: each request goes to whichever node nginx picks."""
        return Browser(self.front_url)


class NodeBrowser(Browser):
    """One device whose cookies go with it from node to node: ``browser.on(cluster.b).get(...)``."""

    def on(self, node: Server) -> NodeBrowser:
        self.base_url = node.base_url
        return self


def _tool(name: str) -> str | None:
    return shutil.which(name) or next((str(p) for p in (Path("/usr/sbin") / name,) if p.exists()), None)


def _unprivileged() -> tuple[list[str], int | None]:
    """Return the command prefix that runs a server as an unprivileged user, and its uid (None: ourselves)."""
    if os.getuid() != 0:
        return [], None
    try:
        uid = pwd.getpwnam(UNPRIVILEGED_USER).pw_uid
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", UNPRIVILEGED_USER],
            check=True,
            timeout=30,
        )
        uid = pwd.getpwnam(UNPRIVILEGED_USER).pw_uid
    return ["runuser", "-u", UNPRIVILEGED_USER, "--"], uid


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited ({process.returncode}):\n{_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{what} did not listen on {port} within {START_SECONDS} s:\n{_tail(log)}")


def _tail(path: Path, characters: int = 3000) -> str:
    return path.read_text(errors="replace")[-characters:] if path.exists() else ""


def _end(process: subprocess.Popen[bytes]) -> None:
    """TERM the process's group, then KILL it if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_SECONDS)
    except ProcessLookupError:
        pass


def _start(
    command: list[str], *, log: Path, env: dict[str, str] | None = None, cwd: Path = BASE_DIR
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


NGINX_CONF = """\
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    # Round robin (nginx's default), no stickiness: consecutive requests alternate A and B.
    upstream cloudmentor {{
        server 127.0.0.1:{port_a};
        server 127.0.0.1:{port_b};
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://cloudmentor;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def _node_env(var_dir: Path, port: int, shared: dict[str, str], access_log: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CLOUDMENTOR_", "PYTEST_")) and key not in {"DATABASE_URL", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="cloudmentor.settings",
        CLOUDMENTOR_ENV="development",
        CLOUDMENTOR_VAR_DIR=str(var_dir),
        DEBUG="false",
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="3",
        WEB_ACCESS_LOG=str(access_log),
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    env.update(shared)
    return env


@pytest.fixture(scope="module")
def cluster_env() -> dict[str, str]:
    """Extra environment for both nodes; override it in a test module."""
    return {}


@pytest.fixture(scope="module")
def cluster(cluster_env: dict[str, str], _static_files: None) -> Iterator[Cluster]:
    """Start Redis, a database, nodes A and B (web, worker, scheduler each) and nginx; stop all after the module."""
    postgres = _postgres_url()
    if not postgres:
        # The SQLite run (make pytest) leaves it to the PostgreSQL run (make pytest-postgres).
        pytest.skip("the two-node test needs a PostgreSQL DATABASE_URL: scripts/with-postgres.sh")
    nginx, redis_server = _tool("nginx"), _tool("redis-server")
    missing = [name for name, path in (("nginx", nginx), ("redis", redis_server)) if not path]
    if missing:
        message = f"the two-node test needs {' and '.join(missing)}: scripts/install-system-deps.sh {' '.join(missing)}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    assert postgres and nginx and redis_server
    run_as, uid = _unprivileged()

    processes: list[subprocess.Popen[bytes]] = []
    smtp = SmtpServer(host="127.0.0.1", port=free_port(), collector=_Collector())
    database_name = f"cm_twonodes_{uuid.uuid4().hex[:12]}"
    database_created = False
    nodes: list[Server] = []
    with tempfile.TemporaryDirectory(prefix="cloudmentor-twonodes-") as tmp_name:
        tmp = Path(tmp_name)
        if uid is not None:
            tmp.chmod(0o711)  # the unprivileged servers reach their own folders inside
        try:
            # Redis: no persistence, its folder in tmp.
            redis_port = free_port()
            redis_dir = tmp / "redis"
            redis_dir.mkdir()
            if uid is not None:
                os.chown(redis_dir, uid, -1)
            redis = _start(
                [
                    *run_as,
                    redis_server,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(redis_port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(redis_dir),
                ],
                log=tmp / "redis.log",
                cwd=tmp,
            )
            processes.append(redis)
            _wait_for_port(redis_port, redis, "redis-server", tmp / "redis.log")
            redis_url = f"redis://127.0.0.1:{redis_port}/0"

            smtp.start()
            _postgres(postgres, f'CREATE DATABASE "{database_name}"')
            database_created = True
            front_port, port_a, port_b = free_port(), free_port(), free_port()
            shared = {
                "DATABASE_URL": _with_database(postgres, database_name),
                "REDIS_URL": redis_url,
                "SECRET_KEY": secrets.token_urlsafe(50),
                "COOKIE_KEYS": secrets.token_urlsafe(32),
                "EMAIL_URL": f"smtp://{smtp.host}:{smtp.port}",
                "SITE_URL": f"http://127.0.0.1:{front_port}",
                "TRUSTED_PROXIES": "127.0.0.1",
                **cluster_env,
            }
            for name, port in (("a", port_a), ("b", port_b)):
                var_dir = tmp / f"node-{name}" / "var"
                var_dir.mkdir(parents=True)
                access_log = var_dir / "access.log"
                nodes.append(
                    Server(
                        base_url=f"http://127.0.0.1:{port}",
                        var_dir=var_dir,
                        env=_node_env(var_dir, port, shared, access_log),
                        access_log=access_log,
                        error_log=var_dir / "server.log",
                    )
                )
            a, b = nodes
            a.manage("migrate", "--noinput", "-v0")
            for node in nodes:
                node.process = _start(
                    [
                        str(BIN / "gunicorn"),
                        "cloudmentor.wsgi:application",
                        "--config",
                        "gunicorn.conf.py",
                        "--access-logformat",
                        ACCESS_FORMAT,
                    ],
                    log=node.error_log,
                    env=node.env,
                )
                for process in ("task_worker", "scheduler"):
                    command = [str(BIN / "python"), "manage.py", process]
                    if process == "task_worker":
                        command += ["--no-reload", "--interval", "1"]
                    processes.append(_start(command, log=node.var_dir / f"{process}.log", env=node.env))

            nginx_dir = tmp / "nginx"
            nginx_dir.mkdir()
            conf = nginx_dir / "nginx.conf"
            conf.write_text(NGINX_CONF.format(tmp=nginx_dir, port=front_port, port_a=port_a, port_b=port_b))
            if uid is not None:
                os.chown(nginx_dir, uid, -1)
            nginx_process = _start(
                [
                    *run_as,
                    nginx,
                    "-p",
                    str(nginx_dir),
                    "-e",
                    str(nginx_dir / "nginx-error.log"),
                    "-c",
                    str(conf),
                    "-g",
                    "daemon off;",
                ],
                log=tmp / "nginx.log",
                cwd=tmp,
            )
            processes.append(nginx_process)
            _wait_for_port(front_port, nginx_process, "nginx", nginx_dir / "nginx-error.log")
            for node in nodes:
                _wait_until_serving(node)
            yield Cluster(
                a=a,
                b=b,
                front_url=f"http://127.0.0.1:{front_port}",
                redis_url=redis_url,
                smtp=smtp,
                tmp=tmp,
                processes=processes,
            )
        finally:
            for node in nodes:
                _stop(node)
            for process in reversed(processes):
                _end(process)
            smtp.stop()
            if database_created:
                _postgres(postgres, f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep each module's tests on one xdist worker (``--dist loadgroup``): one cluster per module."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        path = Path(str(item.fspath))
        if path.parent == Path(__file__).parent:
            item.add_marker(pytest.mark.xdist_group(f"twonodes-{path.stem}"))


__all__ = ["Cluster", "NodeBrowser", "_static_files"]  # _static_files: the fixture, shared with tests/multiprocess
