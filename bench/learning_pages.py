"""Learning pages under load (issue 5), measured in one run next to the framework floor.

- Visitors (no cookie): home, catalog and course pages must reach at least 50 % of the
  framework floor's throughput (they come from the anonymous page cache).
- A subscriber's lesson page must reach at least 1.5x the throughput of a plain Django
  page of the same size (default middleware, one query, a template rendered per request:
  `/__reference__` in bench/floor_wsgi.py), with a p99 under 100 ms at 32 connections.

The subscriber is the demo member (Pro plan, paid), logged in through the real login form.
"""

from __future__ import annotations

import http.client
import re
import sys
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import LoadResult, load, prepared_site, print_table, server

SECONDS = 8
CONNECTIONS = 32
LESSON = "/courses/kubernetes-en-production/pods-et-deployments/"
DEMO_MEMBER = ("demo", "demo-member-password")


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    """Return the cookies a response sets (they are Secure in production: no cookie jar sends them over HTTP)."""
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def log_in(base: str) -> str:
    """Log the demo member in through the login form; return the Cookie header of the session."""
    host = urllib.parse.urlsplit(base).netloc
    connection = http.client.HTTPConnection(host, timeout=30)
    connection.request("GET", "/accounts/login/")
    page = connection.getresponse()
    form_cookies = _cookies(page)
    token = re.search(r'name="form_token" value="([^"]+)"', page.read().decode())
    assert token, "no form token on the login page"
    body = urllib.parse.urlencode(
        {"form_token": token.group(1), "identifier": DEMO_MEMBER[0], "password": DEMO_MEMBER[1]}
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{name}={value}" for name, value in form_cookies.items()),
    }
    connection.request("POST", "/accounts/login/", body=body, headers=headers)
    answer = connection.getresponse()
    answer.read()
    # The production profile names it __Host-cm_account (decision 0105), other profiles cm_account.
    name, session = next(((n, v) for n, v in _cookies(answer).items() if n.endswith("cm_account")), ("", ""))
    assert answer.status == 302 and session, f"the demo member could not log in ({answer.status})"
    return f"{name}={session}"


def fetch(url: str, cookie: str = "") -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request) as response:
        return response.status, response.read()


def main() -> None:
    with prepared_site() as (_var_dir, env), server(env) as base:
        cookie = log_in(base)
        status, lesson = fetch(base + LESSON, cookie)
        assert status == 200 and b"lesson__body" in lesson and b'id="locked"' not in lesson, (
            "the subscriber cannot read"
        )
        _status, reference_page = fetch(f"{base}/__reference__?bytes={len(lesson)}")
        floor = load(
            "framework floor (bare Django view)", base + "/__floor__", seconds=SECONDS, connections=CONNECTIONS
        )
        visitors = [
            load("home page, visitor", base + "/", seconds=SECONDS, connections=CONNECTIONS),
            load("catalog, visitor", base + "/courses/", seconds=SECONDS, connections=CONNECTIONS),
            load(
                "course page, visitor",
                base + "/courses/kubernetes-en-production/",
                seconds=SECONDS,
                connections=CONNECTIONS,
            ),
            load("catalog in English, visitor", base + "/en/courses/", seconds=SECONDS, connections=CONNECTIONS),
        ]
        reference = load(
            f"reference page ({len(reference_page) // 1000} KB, 1 query)",
            f"{base}/__reference__?bytes={len(lesson)}",
            seconds=SECONDS,
            connections=CONNECTIONS,
        )
        smallest = load(
            "member's smallest page (their error reports)",
            base + "/account/reports/",
            seconds=SECONDS,
            connections=CONNECTIONS,
            headers={"Cookie": cookie},
        )
        subscriber = load(
            f"lesson page, subscriber ({len(lesson) // 1000} KB)",
            base + LESSON,
            seconds=SECONDS,
            connections=CONNECTIONS,
            headers={"Cookie": cookie},
        )
    results: list[LoadResult] = [floor, *visitors, reference, smallest, subscriber]
    print(f"\n== Learning pages (gunicorn, 2 sync workers, {CONNECTIONS} connections) ==")
    print_table(results, floor)
    failures = []
    for result in visitors:
        ratio = result.requests_per_second / floor.requests_per_second
        verdict = "ok" if ratio >= 0.5 and not result.errors else "MISSED"
        print(f"target: {result.name} >= 50 % of the floor: {ratio:.0%} {verdict}")
        if verdict != "ok":
            failures.append(result.name)
    speedup = subscriber.requests_per_second / reference.requests_per_second
    verdict = "ok" if speedup >= 1.5 and not subscriber.errors else "MISSED"
    print(f"target: subscriber's lesson page >= 1.5x the reference page: {speedup:.2f}x {verdict}")
    if verdict != "ok":
        failures.append("lesson throughput")
    verdict = "ok" if subscriber.p99_ms < 100 else "MISSED"
    print(
        f"target: subscriber's lesson page p99 < 100 ms at {CONNECTIONS} connections: {subscriber.p99_ms:.1f} ms {verdict}"
    )
    if verdict != "ok":
        failures.append("lesson p99")
    print(f"(pages compared: lesson {len(lesson)} bytes, reference {len(reference_page)} bytes)")
    print(
        f"(the member's smallest page — session, user, one query, the site's layout — serves "
        f"{smallest.requests_per_second / reference.requests_per_second:.2f}x the reference: the fixed cost of a "
        f"logged-in page bounds the lesson page)"
    )
    if failures:
        sys.exit(f"missed: {', '.join(failures)}")


if __name__ == "__main__":
    main()
