"""A form cookie is single-use (SC-3): once its submission succeeded, presenting it again does nothing.

A repeated submission of a spent id (a replay, or the second click of a double click) is sent
to the first one's result (303) and processes nothing; a form answered with errors keeps its
id for the corrected form. Ids are spent in the database, shared by every process.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.core import formcookies
from cloudmentor.core.models import SpentFormCookie
from cloudmentor.core.tests.processes import Processes
from cloudmentor.operations.models import ContactMessage
from conftest import SmtpServer, form_token, race

CONTACT = {"name": "Ada", "email": "ada@example.com", "subject": "Question", "message": "Bonjour"}
REGISTRATION = {
    "username": "ada",
    "email": "ada@example.org",
    "password": "correct horse battery",
    "accept_terms": "on",
}


def _replayable(client: Client, url: str) -> tuple[str, str]:
    """Show the form; return its hidden id and the sealed cookie, as a replaying client keeps them."""
    page = client.get(url)
    name = next(name for name in page.cookies if name.startswith("cm_form_"))
    return form_token(page), page.cookies[name].value


def _replay(url: str, cookie: tuple[str, str], data: dict[str, Any], form: str) -> Any:
    client = Client()
    client.cookies[f"cm_form_{form}"] = cookie[1]
    return client.post(url, {**data, "form_token": cookie[0]})


@pytest.mark.django_db
def test_sc3_a_spent_form_cookie_is_refused_when_replayed(
    settings: Any, smtp_server: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    """The same contact cookie and body sent 20 times over three processes: one message, one staff email."""
    settings.STAFF_ALERT_EMAILS = ["support@example.com"]
    settings.OPERATIONS_CONTACT_MAX_PER_IP = 100
    cookie = _replayable(Client(), "/contact/")
    processes = Processes()

    with django_capture_on_commit_callbacks(execute=True):
        answers = []
        for n in range(20):
            with processes.worker(n % 3):
                answers.append(_replay("/contact/", cookie, CONTACT, "contact"))

    assert answers[0].status_code == 302
    assert {(answer.status_code, answer["Location"]) for answer in answers[1:]} == {(303, "/contact/sent/")}
    assert ContactMessage.objects.count() == 1
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db
def test_sc3_a_spent_registration_form_cookie_creates_no_second_account() -> None:
    """Replaying a used registration cookie, even with other details, registers no one."""
    cookie = _replayable(Client(), "/accounts/register/")
    first = _replay("/accounts/register/", cookie, REGISTRATION, "register")

    replay = _replay(
        "/accounts/register/", cookie, {**REGISTRATION, "username": "eve", "email": "eve@example.org"}, "register"
    )

    assert first.status_code == 302
    assert replay.status_code == 303
    assert replay["Location"] == first["Location"]
    assert list(User.objects.values_list("username", flat=True)) == ["ada"]


@pytest.mark.django_db
def test_sc3_a_form_answered_with_errors_keeps_its_cookie_for_the_corrected_form(client: Client) -> None:
    """Nothing was done: the same page, corrected, is accepted (the id is spent only by a success)."""
    token = form_token(client.get("/contact/"))

    wrong = client.post("/contact/", {**CONTACT, "email": "not an address", "form_token": token})
    corrected = client.post("/contact/", {**CONTACT, "form_token": token})

    assert wrong.status_code == 200
    assert corrected.status_code == 302
    assert ContactMessage.objects.count() == 1
    assert SpentFormCookie.objects.get().result_url == "/contact/sent/"


@pytest.mark.django_db
def test_sc3_an_id_claimed_by_a_submission_that_never_finished_is_refused_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A claim with no result (its worker died) is not waited for past a few seconds: the form again, and why."""
    monkeypatch.setattr(formcookies, "_sleep", lambda seconds: None)
    cookie = _replayable(Client(), "/contact/")
    SpentFormCookie.objects.create(
        token_digest=formcookies._digest(cookie[0]),
        form="contact",
        claimed_at=datetime.now(tz=UTC) - timedelta(seconds=formcookies.DUPLICATE_WAIT_SECONDS + 1),
        expires_at=datetime.now(tz=UTC) + timedelta(hours=1),
    )

    response = _replay("/contact/", cookie, CONTACT, "contact")

    assert response.status_code == 400
    assert "déjà été utilisé" in response.content.decode()
    assert ContactMessage.objects.count() == 0


@pytest.mark.django_db
def test_sc3_an_expired_form_cookie_stays_refused() -> None:
    """Refused as expired once, refused again: its sealed issue time cannot move."""
    with time_machine.travel("2027-03-01 10:00:00+00:00", tick=False) as clock:
        cookie = _replayable(Client(), "/contact/")
        clock.move_to("2027-03-01 11:00:01+00:00")
        answers = [_replay("/contact/", cookie, CONTACT, "contact").status_code for _ in range(2)]

    assert answers == [400, 400]
    assert ContactMessage.objects.count() == 0


@pytest.mark.django_db
def test_sc3_spent_ids_are_purged_once_their_cookie_has_expired() -> None:
    with time_machine.travel("2027-03-01 10:00:00+00:00", tick=False) as clock:
        _replay("/contact/", _replayable(Client(), "/contact/"), CONTACT, "contact")
        assert SpentFormCookie.objects.count() == 1
        clock.move_to("2027-03-01 10:59:00+00:00")
        call_command("core_purge")
        assert SpentFormCookie.objects.count() == 1
        clock.move_to("2027-03-01 11:00:01+00:00")
        call_command("core_purge")
        call_command("core_purge")

    assert SpentFormCookie.objects.count() == 0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_sc3_two_simultaneous_submissions_of_one_form_cookie_succeed_once(settings: Any) -> None:
    """A double click: eight copies of one submission at the same instant store one message, and
    every copy is answered with the same result page."""
    settings.OPERATIONS_CONTACT_MAX_PER_IP = 100
    cookie = _replayable(Client(), "/contact/")

    answers = race(8, lambda n: _replay("/contact/", cookie, CONTACT, "contact"))

    assert ContactMessage.objects.count() == 1
    assert sorted(answer.status_code for answer in answers) == [302] + [303] * 7
    assert {answer["Location"] for answer in answers} == {"/contact/sent/"}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_sc3_two_simultaneous_registrations_with_one_form_cookie_create_one_account() -> None:
    cookie = _replayable(Client(), "/accounts/register/")

    answers = race(
        4,
        lambda n: _replay(
            "/accounts/register/",
            cookie,
            {**REGISTRATION, "username": f"ada{n}", "email": f"ada{n}@example.org"},
            "register",
        ),
    )

    assert User.objects.count() == 1
    assert sorted(answer.status_code for answer in answers) == [302, 303, 303, 303]
