"""Single-use form cookies (core/formcookies.py, SC-3): the claim, the wait for a first submission, the purge."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.http import HttpRequest
from django.test import RequestFactory

from cloudmentor.core import formcookies
from cloudmentor.core.formcookies import form_cookie_check, form_cookie_purge, form_cookie_release, form_cookie_spent
from cloudmentor.core.models import SpentFormCookie

pytestmark = pytest.mark.django_db

TOKEN = "a-random-form-id"


def _post(token: str = TOKEN) -> HttpRequest:
    request = RequestFactory().post("/contact/", {"form_token": token})
    request.COOKIES["cm_form_contact"] = json.dumps({"id": token, "form": "contact", "iat": int(time.time())})
    return request


def _claimed(result_url: str = "", *, age: float = 0.0) -> SpentFormCookie:
    now = datetime.now(tz=UTC)
    return SpentFormCookie.objects.create(
        token_digest=formcookies._digest(TOKEN),
        form="contact",
        claimed_at=now - timedelta(seconds=age),
        expires_at=now + timedelta(hours=1),
        result_url=result_url,
    )


def test_sc3_the_first_submission_claims_the_id_and_its_success_keeps_it_spent() -> None:
    """The row holds a digest of the id (never the id), and the result once the submission succeeded."""
    request = _post()

    assert form_cookie_check(request, "contact") is None
    form_cookie_spent(request, "/contact/sent/")

    row = SpentFormCookie.objects.get()
    assert TOKEN not in row.token_digest
    assert row.result_url == "/contact/sent/"
    problem = form_cookie_check(_post(), "contact")
    assert problem is not None
    assert problem.result_url == "/contact/sent/"


def test_sc3_a_form_with_errors_releases_the_id() -> None:
    request = _post()
    assert form_cookie_check(request, "contact") is None

    form_cookie_release(request)

    assert not SpentFormCookie.objects.exists()
    assert form_cookie_check(_post(), "contact") is None


def test_sc3_a_repeated_submission_waits_for_the_first_and_is_sent_to_its_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A double click: the second arrives while the first is processed; once it succeeds, same result."""
    row = _claimed()

    def first_finishes(seconds: float) -> None:
        SpentFormCookie.objects.filter(pk=row.pk).update(result_url="/contact/sent/")

    monkeypatch.setattr(formcookies, "_sleep", first_finishes)

    problem = form_cookie_check(_post(), "contact")

    assert problem is not None
    assert problem.result_url == "/contact/sent/"


def test_sc3_a_repeated_submission_is_processed_when_the_first_gave_the_id_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first was a form with errors: the second (the same body) is processed in turn, not refused."""
    _claimed()
    monkeypatch.setattr(formcookies, "_sleep", lambda seconds: SpentFormCookie.objects.all().delete())

    assert form_cookie_check(_post(), "contact") is None
    assert SpentFormCookie.objects.count() == 1


def test_sc3_a_repeated_submission_waits_at_most_the_documented_time(monkeypatch: pytest.MonkeyPatch) -> None:
    _claimed()
    clock = [time.time()]
    monkeypatch.setattr(formcookies, "_now", lambda: clock[0])
    monkeypatch.setattr(formcookies, "_sleep", lambda seconds: clock.__setitem__(0, clock[0] + seconds))

    problem = form_cookie_check(_post(), "contact")

    assert problem is not None
    assert problem.result_url == ""
    assert "déjà été utilisé" in str(problem.message)


def test_sc3_the_purge_keeps_ids_until_their_cookie_expires() -> None:
    now = datetime.now(tz=UTC)
    for digest, expires_at in [("a" * 64, now - timedelta(seconds=1)), ("b" * 64, now + timedelta(seconds=60))]:
        SpentFormCookie.objects.create(token_digest=digest, form="contact", claimed_at=now, expires_at=expires_at)

    assert form_cookie_purge() == 1
    assert form_cookie_purge() == 0
    assert list(SpentFormCookie.objects.values_list("token_digest", flat=True)) == ["b" * 64]
