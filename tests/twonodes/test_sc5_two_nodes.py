"""SC-5: two web nodes behind nginx, on one PostgreSQL and one Redis, with no stickiness.

Each step of a journey names the node it goes to (A, then B, then A...), so a cookie, form
cookie, session or throttle written by one node is read by the other at the next request.
The last test ingests both nodes' request-log spools and checks that every request either
node served is recorded exactly once.
"""

from __future__ import annotations

import re

import pytest

from tests.multiprocess.conftest import PASSWORD, Server

from .conftest import Cluster, NodeBrowser

pytestmark = pytest.mark.slow

_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_sc5_nginx_sends_requests_to_both_nodes_round_robin(cluster: Cluster) -> None:
    marks = [node.access_mark() for node in cluster.nodes]
    front = cluster.front()

    answers = [front.get("/healthz") for _ in range(10)]

    assert [answer.status_code for answer in answers] == [200] * 10
    served = [len(node.workers_since(mark)) for node, mark in zip(cluster.nodes, marks, strict=True)]
    assert all(served), f"workers that served, per node: {served}"


def _tokens(text: str) -> dict[str, str]:
    tokens = {}
    if match := _FORM_TOKEN.search(text):
        tokens["form_token"] = match.group(1)
    if match := _CSRF_TOKEN.search(text):
        tokens["csrfmiddlewaretoken"] = match.group(1)
    assert tokens, "the page carries neither a form token nor a CSRF token"
    return tokens


def _users(node: Server, username: str) -> int:
    out = node.shell(
        f"from cloudmentor.accounts.models import User\nprint(User.objects.filter(username={username!r}).count())"
    )
    return int(out.split()[-1])


def _form(browser: NodeBrowser, node: Server, path: str) -> dict[str, str]:
    """Show the form at `path` on `node`; return its tokens."""
    page = browser.on(node).get(path)
    assert page.status_code == 200, f"{path} on {node.base_url} answered {page.status_code}"
    return _tokens(page.text)


def test_sc5_a_member_registers_on_a_and_b_and_is_logged_out_on_both_by_a_logout_on_b(cluster: Cluster) -> None:
    """Register: form shown by A, sent to B; the account page alternates; logout on B, old cookie refused on A."""
    a, b = cluster.nodes
    browser = cluster.browser()

    tokens = _form(browser, a, "/accounts/register/")
    form_cookies = browser.cookies.copy()
    registration = {"email": "ada-sc5@example.org", "password": PASSWORD, "accept_terms": "on"}
    registered = browser.on(b).post("/accounts/register/", {**tokens, **registration, "username": "ada-sc5"})
    assert registered.status_code == 302, registered.text[-2000:]
    pages = [browser.on(node).get("/account/") for node in (a, b, a, b, a, b)]
    assert [page.status_code for page in pages] == [200] * 6
    assert [("Bienvenue ada-sc5" in page.text) for page in pages] == [True] + [False] * 5

    # The used registration form cookie is spent on both nodes (SC-3): replayed on A, no second account.
    replay = NodeBrowser(a.base_url)
    replay.cookies.update(form_cookies)
    replayed = replay.post("/accounts/register/", {**tokens, **registration, "username": "ada-sc5-bis"})
    assert replayed.status_code == 303  # the first submission's result, not a second account
    assert _users(b, "ada-sc5") == 1 and _users(b, "ada-sc5-bis") == 0
    old_cookie = NodeBrowser(a.base_url)
    old_cookie.cookies.update(browser.cookies)
    tokens = _form(browser, a, "/account/")
    logged_out = browser.on(b).post("/accounts/logout/", tokens)

    assert logged_out.status_code == 302
    refused = [old_cookie.on(node).get("/account/") for node in (a, b, a, b)]
    assert [page.status_code for page in refused] == [302] * 4
    assert all(page.headers["Location"].startswith("/accounts/login/") for page in refused)


def test_sc5_staff_log_in_on_one_node_and_pass_the_totp_step_on_the_other(cluster: Cluster) -> None:
    """Login form from A, sent to B; the TOTP step shown by A, passed on B; /staff/ then opens on both."""
    a, b = cluster.nodes
    staff = a.staff("grace-sc5")
    browser = cluster.browser()

    tokens = _form(browser, a, "/accounts/login/")
    logged_in = browser.on(b).post("/accounts/login/", {**tokens, "identifier": staff.username, "password": PASSWORD})
    assert logged_in.status_code == 302
    tokens = _form(browser, a, "/accounts/staff/verify/?next=/staff/")
    verified = browser.on(b).post("/accounts/staff/verify/", {**tokens, "token": staff.code(), "next": "/staff/"})
    assert verified.status_code == 302 and verified.headers["Location"] == "/staff/"

    pages = [browser.on(node).get("/staff/") for node in (a, b) * 10]
    assert [page.status_code for page in pages] == [200] * 20

    tokens = _form(browser, a, "/account/")
    assert browser.on(b).post("/accounts/logout/", tokens).status_code == 302
    after = browser.on(a).get("/staff/")
    assert after.status_code == 302 and "/login/" in after.headers["Location"]


def test_sc5_a_throttle_counts_the_attempts_made_on_both_nodes(cluster: Cluster) -> None:
    """5 wrong passwords per account and address: 5 answered alternately by A and B, the 6th refused on either."""
    a, b = cluster.nodes
    a.member("eve-sc5")
    answers = []
    for n, node in enumerate((a, b, a, b, a, b, a)):
        browser = NodeBrowser(node.base_url)
        browser.headers["X-Forwarded-For"] = "198.51.100.5"
        tokens = _form(browser, node, "/accounts/login/")
        answers.append(
            browser.post("/accounts/login/", {**tokens, "identifier": "eve-sc5", "password": f"wrong guess {n}"})
        )

    assert [answer.status_code for answer in answers] == [200] * 5 + [429] * 2
