"""gunicorn settings: sync workers, one Python thread each (see DESIGN.md, "Web server")."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
threads = 1
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 10
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "0"))
accesslog = os.environ.get("WEB_ACCESS_LOG") or None
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1")
# A master killed with -9 (SC-4): the supervisor starts a new one at once, which binds the
# same port even while the old workers still hold theirs (SO_REUSEPORT) ...
reuse_port = True


def post_fork(server: object, worker: object) -> None:
    """... and the old workers end with their master instead of serving on as orphans (Linux)."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
