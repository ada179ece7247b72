"""The mixed workload's load generator: Moodle's test plan, played by locust (bench/mixed_workload.py).

Runs in its own venv (.venv-bench, bench/requirements.txt): locust pulls gevent and Flask,
which must never be imported into a Django or pytest process. It is given the plan as JSON
in ``MIXED_PLAN`` and prints one JSON line of results on stdout.

Each simulated member does what a browser does, `loops` times, with a think time after
every page it shows (negative exponential, truncated at 10x its mean), cookies cleared
between loops as in Moodle's plan:

    home page (visitor) -> login form -> log in -> (profile) -> course -> lesson
    -> mark it done -> (next page) -> quiz -> submit it -> (review) -> log out -> (home)

Pages in parentheses are the redirects a browser follows at once (no think time). Forms
are sent as a browser sends them: the form cookie and hidden token from the GET, the CSRF
token from the page. Cookies are kept by hand: they are Secure (production profile) and
the bench speaks plain HTTP to 127.0.0.1. Each member comes through the bench "proxy"
with its own address (``X-Forwarded-For``, believed from 127.0.0.1 only), as members
behind the production load balancer do.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import resource
import sys
import time
import urllib.parse
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import gevent
from browser_cookies import remember_cookies  # beside this file: the locust file runs as a script
from locust import FastHttpUser, events, task
from locust.env import Environment
from locust.exception import StopUser

PLAN: dict[str, Any] = json.loads(os.environ.get("MIXED_PLAN", "{}"))
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NEXT_LESSON = re.compile(r'name="next_lesson" value="([^"]+)"')
QUIZ_FORM = re.compile(r'<form[^>]+class="quiz__form".*?</form>', re.S)
CHOICE = re.compile(r'<input[^>]*type="(?:radio|checkbox)"[^>]*>')
ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
TITLE = re.compile(r"<title>([^<]*)</title>")


class IterationFailed(Exception):
    """A page answered what a browser would not continue from: the loop starts over."""


class Progress:
    started = 0
    finished = 0


class Member(FastHttpUser):
    host = PLAN.get("base", "http://127.0.0.1")
    # Each member waits on its own think times; locust's wait between tasks is not used.
    wait_time = staticmethod(lambda: 0)  # type: ignore[assignment]  # locust accepts any callable

    def on_start(self) -> None:
        self.number = PLAN["first_member"] + Progress.started
        Progress.started += 1
        self.address = f"10.{PLAN['address_block']}.{self.number // 250 % 250 + 1}.{self.number % 250 + 1}"
        self.cookies: dict[str, str] = {}
        self.client.cookiejar.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # cookies kept by hand

    # -- one request, as a browser sends it ------------------------------------------------

    def _send(self, method: str, path: str, name: str, data: dict[str, str] | None = None) -> Any:
        headers = {"User-Agent": USER_AGENT, "X-Forwarded-For": self.address, "Accept-Language": "fr"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{key}={value}" for key, value in self.cookies.items())
        body = None
        if data is not None:
            body = urllib.parse.urlencode(data)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = self.client.request(
            method, path, name=name, data=body, headers=headers, allow_redirects=False, catch_response=True
        )
        return response

    def _remember_cookies(self, response: Any) -> None:
        remember_cookies(self.cookies, list(response.headers.getlist("set-cookie")) if response.headers else [])

    def request(
        self,
        method: str,
        path: str,
        name: str,
        *,
        data: dict[str, str] | None = None,
        expect: int = 200,
        contains: str = "",
    ) -> Any:
        """Send one request; mark it failed (and give up this loop) unless it answers as expected."""
        with self._send(method, path, name, data) as response:
            self._remember_cookies(response)
            text = (response.text or "") if expect == 200 else ""
            if response.status_code != expect:
                page = response.text or ""
                title = TITLE.search(page)
                seen_as = "a member" if "logout-form" in page else "a visitor"
                response.failure(
                    f"{response.status_code} instead of {expect}, seen as {seen_as}: {title.group(1) if title else ''}"
                )
                raise IterationFailed(name)
            if contains and contains not in text:
                response.failure(f"{contains!r} missing")
                raise IterationFailed(name)
            response.success()
            response.page = text
            return response

    def follow(self, response: Any, name: str, contains: str = "") -> Any:
        """Follow a redirect at once, as a browser does."""
        location = urllib.parse.urlsplit(response.headers.get("location", "/"))
        path = location.path + (f"?{location.query}" if location.query else "")
        return self.request("GET", path, name, contains=contains)

    def think(self) -> None:
        mean = float(PLAN["think_mean"])
        if mean > 0:
            gevent.sleep(min(random.expovariate(1 / mean), 10 * mean))

    # -- Moodle's loop, on this platform ---------------------------------------------------

    def iteration(self, loop: int) -> None:
        course = f"/courses/{PLAN['course']}/"
        lessons = PLAN["lessons"]
        lesson = f"{course}{lessons[loop % len(lessons)]}/"
        quiz = f"{course}{PLAN['quiz']}/"

        self.request("GET", "/", "01 home page, visitor")
        self.think()
        form = self.request("GET", "/accounts/login/", "02 login form")
        token = FORM_TOKEN.search(form.page)
        if token is None:
            raise IterationFailed("no form token on the login page")
        self.think()
        identifier = f"{PLAN['member_prefix']}{self.number}"
        answer = self.request(
            "POST",
            "/accounts/login/",
            "03 log in (POST)",
            data={"form_token": token.group(1), "identifier": identifier, "password": PLAN["password"]},
            expect=302,
        )
        self.follow(answer, "04 profile (after login)")
        self.think()
        self.request("GET", course, "05 course page", contains=PLAN["course"])
        self.think()
        page = self.request("GET", lesson, "06 lesson page", contains="lesson__body")
        csrf = CSRF.search(page.page)
        if csrf is None:
            raise IterationFailed("no CSRF token on the lesson page")
        self.think()
        fields = {"csrfmiddlewaretoken": csrf.group(1)}
        following = NEXT_LESSON.search(page.page)
        if following:
            fields["next_lesson"] = following.group(1)
        done = self.request("POST", f"{lesson}complete/", "07 mark the lesson done (POST)", data=fields, expect=302)
        self.follow(done, "08 next page (after marking done)")
        self.think()
        quiz_page = self.request("GET", quiz, "09 quiz page", contains="quiz__form")
        quiz_form = QUIZ_FORM.search(quiz_page.page)
        csrf = CSRF.search(quiz_page.page)
        if quiz_form is None or csrf is None:
            raise IterationFailed("no quiz form")
        answers: dict[str, str] = {"csrfmiddlewaretoken": csrf.group(1)}
        for choice in CHOICE.findall(quiz_form.group(0)):
            attributes = dict(ATTRIBUTE.findall(choice))
            answers.setdefault(attributes["name"], attributes["value"])  # the first choice of each question
        self.think()
        scored = self.request("POST", f"{quiz}quiz/", "10 submit the quiz (POST)", data=answers, expect=302)
        review = self.follow(scored, "11 quiz review")
        self.think()
        csrf = CSRF.search(review.page)
        if csrf is None:
            raise IterationFailed("no CSRF token for the logout form")
        bye = self.request(
            "POST", "/accounts/logout/", "12 log out (POST)", data={"csrfmiddlewaretoken": csrf.group(1)}, expect=302
        )
        self.follow(bye, "13 home page (after logout)")

    @task
    def plan(self) -> None:
        try:
            for loop in range(int(PLAN["loops"])):
                self.cookies.clear()  # Moodle's plan clears the cookies on every loop
                with contextlib.suppress(IterationFailed):  # counted as failed; the next loop starts over
                    self.iteration(loop)
                self.think()
        finally:
            Progress.finished += 1
        raise StopUser


def main() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    users, rampup = int(PLAN["users"]), float(PLAN["rampup"])
    environment = Environment(user_classes=[Member], host=PLAN["base"], events=events)
    runner = environment.create_local_runner()
    started = time.monotonic()
    runner.start(users, spawn_rate=users / max(rampup, 1.0))
    capped = False
    while Progress.finished < users:
        gevent.sleep(0.5)
        if time.monotonic() - started > float(PLAN["seconds"]):
            capped = True
            break
    elapsed = time.monotonic() - started
    runner.quit()
    total = environment.stats.total
    pages = {
        name: {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p95": entry.get_response_time_percentile(0.95),
        }
        for (name, _method), entry in sorted(environment.stats.entries.items())
    }
    errors = {f"{error.name}: {error.error}": error.occurrences for error in environment.stats.errors.values()}
    print(
        json.dumps(
            {
                "requests": total.num_requests,
                "failures": total.num_failures,
                "seconds": elapsed,
                "requests_per_second": total.num_requests / elapsed if elapsed else 0.0,
                "p50": total.get_response_time_percentile(0.5),
                "p95": total.get_response_time_percentile(0.95),
                "p99": total.get_response_time_percentile(0.99),
                "members_started": Progress.started,
                "members_finished": Progress.finished,
                "capped": capped,
                "pages": pages,
                "errors": errors,
            }
        ),
        flush=True,
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
