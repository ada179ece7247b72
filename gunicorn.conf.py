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
# A master killed with -9 (SC-4): the supervisor starts a new one at once, which retries
# binding the port for a few seconds while the old workers, told by the kernel that their
# master died, finish their request and close it. No SO_REUSEPORT: a second server started
# by mistake on the same port must fail, not share the traffic.


def post_fork(server: object, worker: object) -> None:
    """Have the kernel end this worker with its master instead of leaving an orphan serving (Linux)."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
