#!/usr/bin/env python3
"""Run the processes of the Procfile under supervisord, restarting any that dies (SC-4).

`make run` calls this. The Procfile stays the one list of processes: this script turns
each of its lines into a supervisord ``[program:...]`` section (``VAR_DIR/run/supervisord.conf``,
written anew at every start), then runs supervisord in the foreground. A process that
exits or is killed is started again at once; Ctrl-C (SIGINT) or SIGTERM stops them all.
Each process's output goes to the console, behind supervisord's own lines about crashes
and restarts; supervisord's log is also kept in ``VAR_DIR/log/supervisord.log``.

    scripts/supervise.py [--procfile Procfile] [--write-only]

While it runs: ``.venv/bin/supervisorctl -c var/run/supervisord.conf status`` (or restart web).
See docs/deployment.md and docs/decisions/0092-processes-that-heal.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import secrets
import shlex
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
# Seconds a stopped process gets to finish its request or task before it is killed.
STOP_WAIT_SECONDS = 15


def procfile_entries(path: Path) -> list[tuple[str, str]]:
    """Return the (name, command) lines of a Procfile, in order."""
    entries = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_-]+):\s*(.+)", line.strip())
        if match is None:
            raise SystemExit(f"{path}:{number}: not a Procfile line (name: command): {line!r}")
        entries.append((match.group(1), match.group(2)))
    if not entries:
        raise SystemExit(f"{path}: no process")
    return entries


def _absolute_command(command: str) -> str:
    """Make a relative program path (``.venv/bin/...``) absolute: supervisord checks it from its own folder."""
    words = shlex.split(command)
    if "/" in words[0] and not words[0].startswith("/"):
        words[0] = str(BASE_DIR / words[0])
    return shlex.join(words)


def _escaped(value: str) -> str:
    return value.replace("%", "%%")  # supervisord expands %(name)s in its values


def _user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def supervisord_conf(entries: list[tuple[str, str]], var_dir: Path) -> str:
    """Return supervisord's configuration for the Procfile's `entries`."""
    run, log = var_dir / "run", var_dir / "log"
    sock = run / "supervisor.sock"
    if len(str(sock)) > 100:  # a Unix socket's path holds at most 107 bytes
        sock = Path(tempfile.gettempdir()) / f"cloudmentor-{hashlib.sha256(bytes(var_dir)).hexdigest()[:12]}.sock"
    # supervisorctl talks to supervisord through a socket only this user reaches, with a
    # password made anew at every start (kept in this file, readable by this user only).
    password = secrets.token_urlsafe(18)
    sections = [
        "; Written by scripts/supervise.py from the Procfile at every start: edit the Procfile.",
        "[supervisord]",
        "nodaemon=true",
        f"logfile={_escaped(str(log / 'supervisord.log'))}",
        "logfile_maxbytes=5MB",
        "logfile_backups=2",
        "loglevel=info",
        f"pidfile={_escaped(str(run / 'supervisord.pid'))}",
        f"childlogdir={_escaped(str(log))}",
        # Stays the user who ran it (as root too: the processes are the operator's own).
        f"user={_escaped(_user())}",
        "",
        "[unix_http_server]",
        f"file={_escaped(str(sock))}",
        "chmod=0700",
        "username=cloudmentor",
        f"password={password}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{_escaped(str(sock))}",
        "username=cloudmentor",
        f"password={password}",
    ]
    for name, command in entries:
        sections += [
            "",
            f"[program:{name}]",
            f"command={_escaped(_absolute_command(command))}",
            f"directory={_escaped(str(BASE_DIR))}",
            f'environment=PYTHONUNBUFFERED="1",CLOUDMENTOR_PROCESS="{name}"',
            "autostart=true",
            # Restarted whatever the way it ended (crash, kill -9, clean exit), at once.
            "autorestart=true",
            "startsecs=1",
            "startretries=100",
            "stopsignal=TERM",
            f"stopwaitsecs={STOP_WAIT_SECONDS}",
            # TERM to the process (gunicorn's master stops its own workers gracefully); if it
            # is still there after stopwaitsecs, KILL to it and everything it started.
            "stopasgroup=false",
            "killasgroup=true",
            "redirect_stderr=true",
            "stdout_logfile=/dev/stdout",
            "stdout_logfile_maxbytes=0",
        ]
    return "\n".join(sections) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--procfile", default=str(BASE_DIR / "Procfile"))
    parser.add_argument("--write-only", action="store_true", help="write the configuration, print its path, exit")
    args = parser.parse_args(argv)
    var_dir = Path(os.environ.get("CLOUDMENTOR_VAR_DIR") or BASE_DIR / "var").resolve()
    for folder in (var_dir / "run", var_dir / "log"):
        folder.mkdir(parents=True, exist_ok=True)
    conf = var_dir / "run" / "supervisord.conf"
    conf.touch(mode=0o600)
    conf.chmod(0o600)
    conf.write_text(supervisord_conf(procfile_entries(Path(args.procfile)), var_dir))
    if args.write_only:
        print(conf)
        return 0
    supervisord = Path(sys.executable).parent / "supervisord"
    os.execv(supervisord, [str(supervisord), "--nodaemon", "--configuration", str(conf)])  # noqa: S606 - becomes supervisord
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main())
