"""What the request log costs (PV-5): the home page with logging on and off.

1. CPU added to each request. In one process, two Django WSGI handlers, one with the
   request log and one without (``ANALYTICS_ENABLED``), take turns on the home page in
   small blocks, and the CPU time of each is added up. Alternating every few hundred
   requests cancels the drift of a shared machine; the run is made twice, the handlers
   built in both orders, and averaged. Ingesting the lines written is timed the same way:
   it runs outside requests (the scheduler's job, or its own low-priority loop).
2. The server. wrk loads gunicorn (production profile, 2 sync workers, demo content)
   alternately with the log off and on; the CPU the server processes use per request is
   read from /proc. wrk's own throughput figures are shown too: on a shared machine they
   move by more than the effect measured.

The throughput lost when the CPU is the limit is the added CPU over the whole CPU a
request costs the server. Prints::

    figure: home page throughput loss with the request log: X % (target: <= 3 %)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, ROOT, prepared_site, server

TARGET_PERCENT = 3.0
BLOCKS = 40
PER_BLOCK = 200
WRK_ROUNDS = 3
WRK_SECONDS = 6
TICKS = os.sysconf("SC_CLK_TCK")
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"


def main() -> None:
    if "--in-process" in sys.argv:
        in_process(on_first=sys.argv[-1] == "on-first")
        return
    with prepared_site() as (_var_dir, env):
        runs = []
        for order in ("on-first", "off-first"):
            output = subprocess.run(
                [PYTHON, __file__, "--in-process", order], cwd=ROOT, env=env, check=True, capture_output=True, text=True
            ).stdout
            runs.append(json.loads(output.strip().splitlines()[-1]))
        added = statistics.mean(run["on"] - run["off"] for run in runs)
        ingest = statistics.mean(run["ingest"] for run in runs)
        in_process_off = statistics.mean(run["off"] for run in runs)
        server_cpu, rates = _wrk_rounds(env)
    off_cpu = statistics.median(server_cpu[False])
    off_rate, on_rate = statistics.median(rates[False]), statistics.median(rates[True])
    print(f"home page, Django alone: {in_process_off:,.0f} µs of CPU per request; the log adds {added:.1f} µs")
    print(
        f"home page on gunicorn: {off_cpu:,.0f} µs of CPU per request with the log off, "
        f"{statistics.median(server_cpu[True]):,.0f} µs with it on (medians of {WRK_ROUNDS} rounds)"
    )
    print(
        f"wrk: {off_rate:,.0f} req/s log off, {on_rate:,.0f} req/s log on ({(on_rate - off_rate) / off_rate * 100:+.1f} %; "
        f"rounds off {', '.join(f'{r:,.0f}' for r in rates[False])}, on {', '.join(f'{r:,.0f}' for r in rates[True])})"
    )
    print(
        f"ingestion, outside requests: {ingest:.1f} µs of CPU per record "
        f"({ingest / (off_cpu + added) * 100:.1f} % of the CPU of a home page request)"
    )
    loss = added / (off_cpu + added) * 100
    print(
        f"figure: home page throughput loss with the request log: {loss:.1f} % "
        f"(+{added:.1f} µs on {off_cpu:,.0f} µs per request; target: <= {TARGET_PERCENT:.0f} %) "
        f"{'OK' if loss <= TARGET_PERCENT else 'MISSED'}"
    )


def _cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / TICKS


def _server_pids(port: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if f"127.0.0.1:{port}".encode() in command and b"gunicorn" in command:
                pids.append(int(entry.name))
    return pids


def _wrk_rounds(env: dict[str, str]) -> tuple[dict[bool, list[float]], dict[bool, list[float]]]:
    wrk = shutil.which("wrk") or sys.exit("wrk is missing: scripts/install-system-deps.sh wrk")
    cpu: dict[bool, list[float]] = {False: [], True: []}
    rates: dict[bool, list[float]] = {False: [], True: []}
    for round_number in range(WRK_ROUNDS):
        for enabled in (False, True) if round_number % 2 == 0 else (True, False):
            with server({**env, "ANALYTICS_ENABLED": "true" if enabled else "false"}) as base:
                url = base + "/"
                subprocess.run([wrk, "-t1", "-c4", "-d1s", url], capture_output=True, check=True)  # warm-up
                pids = _server_pids(int(base.rsplit(":", 1)[1]))
                before = _cpu_seconds(pids)
                output = subprocess.run(
                    [wrk, "-t2", "-c16", f"-d{WRK_SECONDS}s", url], capture_output=True, text=True, check=True
                ).stdout
                used = _cpu_seconds(pids) - before
            requests = int(re.search(r"(\d+) requests in", output).group(1))
            rates[enabled].append(float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)))
            cpu[enabled].append(used / requests * 1e6)
    return cpu, rates


def _environ() -> dict[str, Any]:
    import io

    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_USER_AGENT": USER_AGENT,
        "HTTP_ACCEPT": "text/html",
        "HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def in_process(*, on_first: bool) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudmentor.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    from cloudmentor.analytics.models import RequestRecord
    from cloudmentor.analytics.services import request_records_ingest

    handlers = {}
    for enabled in (True, False) if on_first else (False, True):
        settings.ANALYTICS_ENABLED = enabled
        handlers[enabled] = WSGIHandler()  # the middleware chain is built now
    settings.ANALYTICS_ENABLED = True

    def serve(handler: WSGIHandler) -> None:
        statuses = []
        body = handler(_environ(), lambda status, headers, *args: statuses.append(status))
        b"".join(body)
        body.close()
        assert statuses[0].startswith("200"), statuses

    for handler in handlers.values():  # warm-up: templates compiled, connections open
        for _ in range(200):
            serve(handler)
    cpu = {True: 0.0, False: 0.0}
    for block in range(BLOCKS):
        for enabled in (True, False) if block % 2 == 0 else (False, True):
            started = time.process_time()
            for _ in range(PER_BLOCK):
                serve(handlers[enabled])
            cpu[enabled] += time.process_time() - started
    requests = BLOCKS * PER_BLOCK

    before = RequestRecord.objects.count()
    started = time.process_time()
    report = request_records_ingest()
    ingest_cpu = (time.process_time() - started) / max(report.records, 1) * 1e6
    assert RequestRecord.objects.count() - before == report.records >= requests, (report, requests)
    result = {"on": cpu[True] / requests * 1e6, "off": cpu[False] / requests * 1e6, "ingest": ingest_cpu}
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
