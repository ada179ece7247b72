"""Members who accepted older terms see a notice and acknowledge the new ones; the history keeps it all (TM-1, PV-7)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.accounts.services import user_register
from cloudmentor.accounts.tests.factories import UserFactory
from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory
from cloudmentor.legal.models import PolicyAcceptance, PolicyDocument

from .conftest import csrf_post, log_in_client

pytestmark = pytest.mark.django_db


def test_tm1_registration_records_the_accepted_terms_in_the_history() -> None:
    user = user_register(
        username="bob",
        email="bob@example.org",
        password="x" * 16,
        terms_version=1,
        newsletter_opt_in=False,
        language="fr",
    )

    acceptance = PolicyAcceptance.objects.get(user=user)
    assert (acceptance.kind, acceptance.version, acceptance.source) == ("terms", 1, "registration")
    assert acceptance.accepted_at == user.terms_accepted_at


def test_tm1_a_member_with_older_terms_sees_a_notice_and_acknowledges_the_new_ones(
    member_client: Client, member: User, publish: Callable[..., PolicyDocument]
) -> None:
    assert 'id="terms-notice"' not in member_client.get("/account/").content.decode()
    publish()

    page = member_client.get("/account/").content.decode().replace("&#x27;", "'")
    assert 'id="terms-notice"' in page
    assert "Nos conditions d'utilisation ont changé (version 2)." in page
    assert 'href="/legal/terms/"' in page
    assert member_client.get("/legal/terms/").status_code == 200  # nothing is blocked

    response = csrf_post(member_client, "/legal/terms/acknowledge/", {"version": "2", "next": "/account/"})

    assert response.status_code == 302 and response["Location"] == "/account/"
    member.refresh_from_db()
    assert member.terms_version == 2
    assert list(PolicyAcceptance.objects.filter(user=member).values_list("version", "source")) == [
        (2, "notice"),
        (1, "registration"),
    ]
    page = member_client.get("/account/").content.decode()
    assert 'id="terms-notice"' not in page
    assert "version 2, le" in page and 'href="/account/policies/"' in page
    history = member_client.get("/account/policies/").content.decode()
    assert 'href="/legal/terms/v1/"' in history and 'href="/legal/terms/v2/"' in history
    assert "à l&#x27;inscription" in history and "après l&#x27;avis de changement" in history


def test_tm1_the_notice_shows_in_english_on_english_pages(
    member_client: Client, publish: Callable[..., PolicyDocument]
) -> None:
    publish()

    page = member_client.get("/en/courses/").content.decode().replace("&#x27;", "'")

    assert "Our terms of use have changed (version 2)." in page
    assert "I have read the new terms" in page and 'href="/en/legal/terms/"' in page


def test_tm1_acknowledging_a_version_that_is_no_longer_current_changes_nothing(
    member_client: Client, member: User, publish: Callable[..., PolicyDocument]
) -> None:
    publish()
    publish()

    response = csrf_post(member_client, "/legal/terms/acknowledge/", {"version": "2"})
    page = member_client.get(response["Location"]).content.decode()

    assert "Une version plus récente des conditions" in page
    member.refresh_from_db()
    assert member.terms_version == 1
    assert not PolicyAcceptance.objects.filter(user=member, source="notice").exists()


@pytest.mark.parametrize("version", ["", "abc", "99999999999999999999"])
def test_tm1_a_malformed_acknowledgement_is_refused_with_a_message(
    member_client: Client, member: User, publish: Callable[..., PolicyDocument], version: str
) -> None:
    publish()

    response = csrf_post(member_client, "/legal/terms/acknowledge/", {"version": version})

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.terms_version == 1


def test_tm1_acknowledging_needs_a_post_with_the_session_token(
    member_client: Client, client: Any, publish: Callable[..., PolicyDocument]
) -> None:
    publish()
    strict = Client(enforce_csrf_checks=True)

    assert member_client.get("/legal/terms/acknowledge/").status_code == 405
    assert client.post("/legal/terms/acknowledge/", {"version": "2"})["Location"].startswith("/accounts/login/")
    member_client_strict = strict
    member_client_strict.cookies = member_client.cookies
    assert member_client_strict.post("/legal/terms/acknowledge/", {"version": "2"}).status_code == 403


def test_tm1_visitors_never_see_the_notice(client: Client, publish: Callable[..., PolicyDocument]) -> None:
    publish()

    page = client.get("/courses/").content.decode()

    assert 'id="terms-notice"' not in page and "csrfmiddlewaretoken" not in page


def test_tm1_the_notice_shows_on_a_lesson_page_too(
    member_client: Client, member: User, publish: Callable[..., PolicyDocument]
) -> None:
    """A lesson page is normally filled into a layout shared by every member: not with a notice due."""
    course = CourseFactory(slug="k8s")
    LessonFactory(module=ModuleFactory(course=course), slug="intro", is_free_preview=True)
    member_client.get("/courses/k8s/intro/")  # the shared layout exists, without any notice
    publish()

    page = member_client.get("/courses/k8s/intro/").content.decode()

    assert 'id="terms-notice"' in page
    csrf_post(member_client, "/legal/terms/acknowledge/", {"version": "2"}, page="/courses/k8s/intro/")
    assert 'id="terms-notice"' not in member_client.get("/courses/k8s/intro/").content.decode()


def test_tm1_an_account_that_never_accepted_terms_gets_no_notice(publish: Callable[..., PolicyDocument]) -> None:
    """Staff accounts made in the staff site accepted nothing: there is no older version to replace."""
    publish()
    employee = UserFactory(terms_version=None, terms_accepted_at=None)

    page = log_in_client(Client(), employee).get("/account/").content.decode()

    assert 'id="terms-notice"' not in page
