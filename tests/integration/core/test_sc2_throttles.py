"""Every documented throttle is exact whatever process serves the attempt (SC-2, TM-9, PV-15).

Each attempt goes to one of three simulated web processes, each with its own local-memory
cache (cloudmentor.core.tests.processes): a count kept in one process's memory would let
up to three times the limit through. Exactly N attempts pass, the N+1th is refused. The
same proofs against a real 3-worker gunicorn are in tests/multiprocess/.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import PASSWORD, UserFactory
from cloudmentor.billing.models import AccessLevel
from cloudmentor.core.tests.processes import Processes
from cloudmentor.learning.models import ErrorReport
from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory
from cloudmentor.operations.models import ContactMessage
from conftest import SmtpServer, csrf_post, form_token, log_in_client, submit

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"
CONTACT = {"name": "Ada", "email": "ada@example.com", "subject": "Question", "message": "Bonjour"}


@pytest.fixture
def processes() -> Processes:
    return Processes()


def _spread(processes: Processes, attempts: int, attempt: Any) -> list[Any]:
    """Make `attempts` attempts, round robin over three processes; return what each answered."""
    answers = []
    for n in range(attempts):
        with processes.worker(n % 3):
            answers.append(attempt(n))
    return answers


def test_sc2_wrong_passwords_per_account_and_address_exactly_n_pass(processes: Processes, settings: Any) -> None:
    """5 wrong passwords for one account from one address are answered; the 6th is refused (429)."""
    UserFactory(username="alice")
    limit = settings.ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP
    client = Client(REMOTE_ADDR="203.0.113.9")
    token = form_token(client.get(LOGIN_URL))

    statuses = _spread(
        processes,
        limit + 3,
        lambda n: client.post(LOGIN_URL, {"form_token": token, "identifier": "alice", "password": f"guess {n}"}),
    )

    assert [response.status_code for response in statuses] == [200] * limit + [429] * 3
    assert 0 < int(statuses[-1]["Retry-After"]) <= settings.ACCOUNTS_LOGIN_WINDOW_SECONDS


def test_sc2_failed_logins_per_address_exactly_n_pass(processes: Processes, settings: Any) -> None:
    settings.ACCOUNTS_LOGIN_MAX_PER_IP = 7
    client = Client(REMOTE_ADDR="203.0.113.9")
    token = form_token(client.get(LOGIN_URL))

    statuses = _spread(
        processes,
        10,
        lambda n: client.post(LOGIN_URL, {"form_token": token, "identifier": f"user{n}", "password": "whatever"}),
    )

    assert [response.status_code for response in statuses] == [200] * 7 + [429] * 3


def test_sc2_a_right_password_does_not_use_up_the_limit(processes: Processes, settings: Any) -> None:
    """Successful logins are given back: only failures count against the account and address."""
    settings.ACCOUNTS_LOGIN_MAX_PER_ACCOUNT_IP = 2
    UserFactory(username="alice")

    statuses = _spread(
        processes,
        4,
        lambda n: (
            submit(
                Client(REMOTE_ADDR="203.0.113.9"), LOGIN_URL, {"identifier": "alice", "password": PASSWORD}
            ).status_code
        ),
    )

    assert statuses == [302] * 4


def test_sc2_registrations_per_address_exactly_n_pass(processes: Processes, settings: Any) -> None:
    settings.ACCOUNTS_REGISTER_MAX_PER_IP = 4

    statuses = _spread(
        processes,
        6,
        lambda n: (
            submit(
                Client(),
                "/accounts/register/",
                {
                    "username": f"user{n}",
                    "email": f"user{n}@example.org",
                    "password": "correct horse battery",
                    "accept_terms": "on",
                },
            ).status_code
        ),
    )

    assert statuses == [302] * 4 + [429] * 2
    assert User.objects.count() == 4


def test_sc2_recovery_emails_per_account_exactly_n_are_sent(
    processes: Processes, settings: Any, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    """3 reset emails an hour for one address, whoever asks from wherever; the same answer every time."""
    UserFactory(username="alice", email="alice@example.org")
    limit = settings.ACCOUNTS_RECOVERY_MAX_PER_ACCOUNT

    with django_capture_on_commit_callbacks(execute=True):
        answers = _spread(
            processes,
            limit + 3,
            lambda n: submit(
                Client(REMOTE_ADDR=f"198.51.100.{n}"), "/accounts/password/forgot/", {"email": "alice@example.org"}
            )["Location"],
        )

    assert set(answers) == {"/accounts/password/forgot/sent/"}
    assert len(smtp_server.messages) == limit


def test_sc2_data_downloads_exactly_n_pass(processes: Processes, settings: Any) -> None:
    settings.ACCOUNTS_DATA_EXPORT_MAX_PER_WINDOW = 3
    client = log_in_client(Client(), UserFactory(username="alice"))

    statuses = _spread(
        processes, 5, lambda n: csrf_post(client, "/account/data/", {"password": PASSWORD}, page="/account/data/")
    )

    assert [response.status_code for response in statuses] == [200] * 3 + [429] * 2


def test_sc2_contact_messages_per_address_exactly_n_are_stored(
    processes: Processes, settings: Any, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    """The contact form's limit holds across processes: N messages and N staff emails, then 429."""
    settings.OPERATIONS_CONTACT_MAX_PER_IP = 3
    settings.STAFF_ALERT_EMAILS = ["support@example.com"]

    with django_capture_on_commit_callbacks(execute=True):
        statuses = _spread(processes, 5, lambda n: submit(Client(), "/contact/", CONTACT).status_code)

    assert statuses == [302] * 3 + [429] * 2
    assert ContactMessage.objects.count() == 3
    assert len(smtp_server.messages) == 3


def test_pv15_the_contact_form_is_throttled(settings: Any) -> None:
    """60 posts from one client: the documented number of messages, then 429 in the user's language."""
    limit = settings.OPERATIONS_CONTACT_MAX_PER_IP

    statuses = [submit(Client(), "/contact/", CONTACT).status_code for _ in range(limit + 2)]
    english = submit(Client(), "/en/contact/", CONTACT)

    assert statuses == [302] * limit + [429] * 2
    assert english.status_code == 429
    assert "Too many attempts" in english.content.decode()
    assert int(english["Retry-After"]) > 0
    assert ContactMessage.objects.count() == limit


def test_sc2_error_reports_per_member_exactly_n_pass(processes: Processes, settings: Any) -> None:
    settings.LEARNING_ERROR_REPORT_MAX_PER_MEMBER = 2
    module = ModuleFactory(course=CourseFactory(slug="aws", access_level=AccessLevel.FREE))
    LessonFactory(module=module, slug="vpc")
    client = log_in_client(Client(), UserFactory())
    message = "La commande create-subnet oublie --vpc-id, numéro {n}."

    statuses = _spread(
        processes,
        4,
        lambda n: (
            csrf_post(
                client, "/courses/aws/vpc/report/", {"message": message.format(n=n)}, page="/courses/aws/vpc/"
            ).status_code
        ),
    )

    assert statuses == [302, 302, 429, 429]
    assert ErrorReport.objects.count() == 2


def test_sc2_catalog_searches_per_address_exactly_n_pass(processes: Processes, settings: Any) -> None:
    """A search (full text) is counted; browsing the catalog without one is not."""
    settings.LEARNING_SEARCH_MAX_PER_IP = 3

    statuses = _spread(processes, 5, lambda n: Client().get("/courses/", {"q": f"docker {n}"}).status_code)
    browsing = Client().get("/courses/")

    assert statuses == [200] * 3 + [429] * 2
    assert browsing.status_code == 200
