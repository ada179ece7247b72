"""SC-2, SC-3, PV-15 on the real server: exact limits and single-use form cookies across 3 workers.

Attempts are sent at the same instant from separate browsers, so they reach several gunicorn
workers at once: exactly N pass and the others are refused, as the documented limit says.
Each test speaks from its own address (X-Forwarded-For, believed from 127.0.0.1 here), so the
per-address limits of one test do not count another's attempts.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import requests

from conftest import free_port

from .conftest import PASSWORD, Browser, Server

pytestmark = pytest.mark.slow

CONTACT = {"name": "Ada", "email": "ada@example.com", "subject": "Question", "message": "Bonjour"}
_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(scope="module")
def server_env() -> dict[str, str]:
    return {
        "TRUSTED_PROXIES": "127.0.0.1",
        "ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP": "5",
        "ACCOUNTS_LOGIN_MAX_PER_IP": "8",
        "ACCOUNTS_REGISTER_MAX_PER_IP": "4",
        "ACCOUNTS_RECOVERY_MAX_PER_ACCOUNT": "3",
        "ACCOUNTS_DATA_EXPORT_MAX_PER_WINDOW": "3",
        "OPERATIONS_CONTACT_MAX_PER_IP": "4",
        "NEWSLETTER_REQUEST_MAX_PER_IP": "3",
        "DONATIONS_MAX_PER_IP": "3",
        # The donation form shows with a key; its Stripe API is a closed local port (payments fail, politely).
        "STRIPE_SECRET_KEY": "sk_test_multiprocess",
        "BILLING_STRIPE_API_BASE": f"http://127.0.0.1:{free_port()}",
        "LEARNING_ERROR_REPORT_MAX_PER_MEMBER": "2",
        "LEARNING_SEARCH_MAX_PER_IP": "5",
    }


def _browser(server: Server, address: str) -> Browser:
    browser = server.browser()
    browser.headers["X-Forwarded-For"] = address
    return browser


def _shown(browser: Browser, path: str) -> dict[str, str]:
    """Show the form at `path` to `browser`; return the tokens its page carries."""
    page = browser.get(path)
    assert page.status_code == 200, f"{path} answered {page.status_code}"
    tokens = {}
    if match := _FORM_TOKEN.search(page.text):
        tokens["form_token"] = match.group(1)
    if match := _CSRF_TOKEN.search(page.text):
        tokens["csrfmiddlewaretoken"] = match.group(1)
    return tokens


def _at_once(posts: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """Send every post at the same instant (one thread each); return the answers in order."""
    start = threading.Barrier(len(posts))
    answers: list[Any] = [None] * len(posts)

    def send(n: int) -> None:
        start.wait()
        try:
            answers[n] = posts[n]()
        except requests.RequestException as error:  # a failed request is reported by the assertions
            answers[n] = error

    threads = [threading.Thread(target=send, args=(n,)) for n in range(len(posts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _statuses(answers: list[requests.Response]) -> Counter[int]:
    return Counter(answer.status_code for answer in answers)


def _count(server: Server, model: str, **lookup: str) -> int:
    """Count the rows of `model` ("app.Model") matching `lookup`, in the server's database."""
    app, name = model.split(".")
    out = server.shell(
        f"from cloudmentor.{app}.models import {name}\nprint({name}.objects.filter(**{lookup!r}).count())"
    )
    return int(out.strip().splitlines()[-1])


def _form_posts(
    server: Server, address: str, path: str, data: Callable[[int], dict[str, str]], attempts: int
) -> list[Callable[[], requests.Response]]:
    posts = []
    for n in range(attempts):
        browser = _browser(server, address)
        tokens = _shown(browser, path)
        posts.append(lambda browser=browser, tokens=tokens, n=n: browser.post(path, {**tokens, **data(n)}))
    return posts


def test_sc2_wrong_passwords_per_account_and_address_exactly_n_pass_on_three_workers(server: Server) -> None:
    """12 wrong passwords for one account from one address at once: 5 answered, 7 refused (429)."""
    server.member("alice-sc2")
    mark = server.access_mark()

    answers = _at_once(
        _form_posts(
            server,
            "198.51.100.1",
            "/accounts/login/",
            lambda n: {"identifier": "alice-sc2", "password": f"guess number {n}"},
            12,
        )
    )

    assert _statuses(answers) == {200: 5, 429: 7}
    assert len(server.workers_since(mark)) >= 2
    owner = _browser(server, "198.51.100.99")  # the owner, elsewhere, is not locked out
    assert owner.submit("/accounts/login/", {"identifier": "alice-sc2", "password": PASSWORD}).status_code == 302


def test_sc2_failed_logins_per_address_exactly_n_pass_on_three_workers(server: Server) -> None:
    answers = _at_once(
        _form_posts(
            server,
            "198.51.100.2",
            "/accounts/login/",
            lambda n: {"identifier": f"nobody-{n}", "password": "whatever password"},
            12,
        )
    )

    assert _statuses(answers) == {200: 8, 429: 4}


def test_sc2_registrations_per_address_exactly_n_pass_on_three_workers(server: Server) -> None:
    answers = _at_once(
        _form_posts(
            server,
            "198.51.100.3",
            "/accounts/register/",
            lambda n: {
                "username": f"newcomer-{n}",
                "email": f"newcomer-{n}@example.org",
                "password": PASSWORD,
                "accept_terms": "on",
            },
            7,
        )
    )

    assert _statuses(answers) == {302: 4, 429: 3}
    assert _count(server, "accounts.User", username__startswith="newcomer-") == 4


def test_sc2_recovery_emails_per_account_exactly_n_are_queued_on_three_workers(server: Server) -> None:
    """Six requests for one address from six addresses at once: the same answer, three emails."""
    server.member("bob-sc2", email="bob-sc2@example.org")
    posts = []
    for n in range(6):
        browser = _browser(server, f"198.51.100.{40 + n}")
        tokens = _shown(browser, "/accounts/password/forgot/")
        posts.append(
            lambda browser=browser, tokens=tokens: browser.post(
                "/accounts/password/forgot/", {**tokens, "email": "bob-sc2@example.org"}
            )
        )

    answers = _at_once(posts)

    assert {(answer.status_code, answer.headers["Location"]) for answer in answers} == {
        (302, "/accounts/password/forgot/sent/")
    }
    assert _count(server, "mailing.OutboxEmail", to="bob-sc2@example.org") == 3


def test_sc2_data_downloads_exactly_n_pass_on_three_workers(server: Server) -> None:
    server.member("carol-sc2")
    browser = _browser(server, "198.51.100.5")
    server.log_in(browser, "carol-sc2")
    tokens = _shown(browser, "/account/data/")
    posts = []
    for _ in range(6):
        copy = _browser(server, "198.51.100.5")
        copy.cookies.update(browser.cookies)
        posts.append(lambda copy=copy: copy.post("/account/data/", {**tokens, "password": PASSWORD}))

    answers = _at_once(posts)

    assert _statuses(answers) == {200: 3, 429: 3}


def test_sc2_pv15_contact_messages_per_address_exactly_n_are_stored_on_three_workers(server: Server) -> None:
    answers = _at_once(
        _form_posts(server, "198.51.100.6", "/contact/", lambda n: {**CONTACT, "subject": f"sc2 {n}"}, 7)
    )

    assert _statuses(answers) == {302: 4, 429: 3}
    assert _count(server, "operations.ContactMessage", subject__startswith="sc2 ") == 4


def test_sc3_a_replayed_form_cookie_stores_one_message_on_three_workers(server: Server) -> None:
    """One contact form sent 6 times at once, then 6 times more: one message; every answer is its result page."""
    browser = _browser(server, "198.51.100.7")
    tokens = _shown(browser, "/contact/")
    cookies = browser.cookies.copy()

    def replay() -> requests.Response:
        copy = _browser(server, "198.51.100.7")
        copy.cookies.update(cookies)
        return copy.post("/contact/", {**tokens, **CONTACT, "subject": "sc3 replay"})

    simultaneous = _at_once([replay] * 6)
    later = [replay() for _ in range(6)]

    answers = simultaneous + later
    assert sorted(answer.status_code for answer in answers) == [302] + [303] * 11
    assert {answer.headers["Location"] for answer in answers} == {"/contact/sent/"}
    assert _count(server, "operations.ContactMessage", subject="sc3 replay") == 1


def test_sc2_newsletter_requests_per_address_exactly_n_pass_on_three_workers(server: Server) -> None:
    answers = _at_once(
        _form_posts(server, "198.51.100.8", "/newsletter/", lambda n: {"email": f"reader-{n}@example.org"}, 6)
    )

    assert _statuses(answers) == {302: 3, 429: 3}


def test_sc2_donation_forms_per_address_exactly_n_pass_on_three_workers(server: Server) -> None:
    """Stripe does not answer here: a form under the limit says so (200), past it 429."""
    answers = _at_once(_form_posts(server, "198.51.100.9", "/donate/", lambda n: {"preset": "10"}, 6))

    assert _statuses(answers) == {200: 3, 429: 3}


def test_sc2_catalog_searches_per_address_exactly_n_pass_on_three_workers(server: Server) -> None:
    searches = [
        lambda n=n: _browser(server, "198.51.100.10").get("/courses/", params={"q": f"kubernetes {n}"})
        for n in range(8)
    ]

    answers = _at_once(searches)

    assert _statuses(answers) == {200: 5, 429: 3}


def test_sc2_error_reports_per_member_exactly_n_pass_on_three_workers(server: Server) -> None:
    server.shell(
        "from cloudmentor.billing.models import AccessLevel\n"
        "from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory\n"
        "module = ModuleFactory(course=CourseFactory(slug='sc2-course', access_level=AccessLevel.FREE))\n"
        "LessonFactory(module=module, slug='sc2-lesson')"
    )
    server.member("dave-sc2")
    browser = _browser(server, "198.51.100.11")
    server.log_in(browser, "dave-sc2")
    path = "/courses/sc2-course/sc2-lesson/report/"
    tokens = _shown(browser, path)
    posts = []
    for n in range(5):
        copy = _browser(server, "198.51.100.11")
        copy.cookies.update(browser.cookies)
        message = f"La commande de l'étape {n} oublie une option."
        posts.append(lambda copy=copy, message=message: copy.post(path, {**tokens, "message": message}))

    answers = _at_once(posts)

    assert _statuses(answers) == {302: 2, 429: 3}
    assert _count(server, "learning.ErrorReport", lesson__slug="sc2-lesson") == 2
