"""The newsletter's pages: unsubscribe links (GET page, POST, RFC 8058 one-click), the account
page, the public form with double opt-in, and what the request log keeps of their links (PV-4)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.analytics import spool
from cloudmentor.analytics.tests.conftest import records
from cloudmentor.core.redaction import REDACTED
from cloudmentor.newsletter import services
from cloudmentor.newsletter.models import Subscriber
from cloudmentor.newsletter.tests.conftest import CONFIRM_LINK, link_path
from cloudmentor.newsletter.tests.factories import SubscriberFactory
from cloudmentor.newsletter.tokens import confirm_token, unsubscribe_token
from conftest import csrf_post, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber() -> Subscriber:
    return SubscriberFactory(email="reader@example.org")


def _url(subscriber: Subscriber, prefix: str = "") -> str:
    return f"{prefix}/newsletter/unsubscribe/{unsubscribe_token(subscriber.pk)}/"


def test_pv4_the_unsubscribe_link_shows_one_button_and_changes_nothing(subscriber: Subscriber) -> None:
    """Mail scanners open links: the GET only asks."""
    response = Client().get(_url(subscriber))

    body = response.content.decode()
    assert response.status_code == 200
    assert "reader@example.org" in body and "Me désabonner" in body
    assert 'method="post"' in body and "csrfmiddlewaretoken" not in body
    assert not response.cookies
    subscriber.refresh_from_db()
    assert subscriber.is_subscribed


def test_pv4_posting_the_unsubscribe_page_unsubscribes_without_login_or_cookie(subscriber: Subscriber) -> None:
    response = Client(enforce_csrf_checks=True).post(_url(subscriber, "/en"))

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    assert not response.cookies
    subscriber.refresh_from_db()
    assert (subscriber.email, subscriber.status) == ("reader@example.org", "unsubscribed")
    assert subscriber.consent_events.get(action="unsubscribed").source == "email_link"


def test_pv4_the_rfc8058_one_click_post_unsubscribes(subscriber: Subscriber) -> None:
    """What mail software sends for List-Unsubscribe-Post: List-Unsubscribe=One-Click."""
    response = Client(enforce_csrf_checks=True).post(
        _url(subscriber), data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed"
    assert subscriber.consent_events.get(action="unsubscribed").source == "one_click"


def test_pv4_an_unsubscribed_address_sees_it_is_already_unsubscribed(subscriber: Subscriber) -> None:
    client = Client()
    client.post(_url(subscriber))

    body = client.get(_url(subscriber)).content.decode()
    again = client.post(_url(subscriber))

    assert "déjà désabonné" in body
    assert again.status_code == 200
    assert subscriber.consent_events.filter(action="unsubscribed").count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
def test_pv4_a_forged_or_damaged_unsubscribe_link_gets_a_clear_message_and_changes_nothing(
    subscriber: Subscriber, method: str
) -> None:
    good = unsubscribe_token(subscriber.pk)
    damaged = good[:-2] + ("AA" if good[-2:] != "AA" else "BB")
    other_kind = confirm_token(email=subscriber.email, language="fr")
    for token in (damaged, other_kind, "x", "1"):
        response = getattr(Client(), method)(f"/newsletter/unsubscribe/{token}/")
        assert response.status_code == 400
        assert "Lien de désabonnement invalide" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.is_subscribed and not subscriber.consent_events.filter(action="unsubscribed").exists()


def test_pv4_the_account_page_subscribes_and_unsubscribes_the_member(member_client: Client, member: User) -> None:
    page = member_client.get("/account/newsletter/").content.decode()
    assert "Non abonné" in page

    csrf_post(member_client, "/account/newsletter/", {"action": "subscribe"}, page="/account/newsletter/")
    subscriber = Subscriber.objects.get(user=member)
    assert subscriber.is_subscribed and subscriber.source == "account_page"
    assert "Abonné" in member_client.get("/account/newsletter/").content.decode()

    response = csrf_post(member_client, "/account/newsletter/", {"action": "unsubscribe"}, page="/account/newsletter/")
    assert response.status_code == 302
    subscriber.refresh_from_db()
    assert subscriber.status == "unsubscribed" and subscriber.email == "alice@example.org"
    page = member_client.get("/account/newsletter/").content.decode()
    assert "Désabonné" in page and 'id="consent-history"' in page


def test_pv4_the_account_page_needs_the_sessions_csrf_token(member_client: Client, member: User) -> None:
    response = member_client.post("/account/newsletter/", {"action": "subscribe"})

    assert response.status_code == 403
    assert not Subscriber.objects.exists()


def test_pv7_the_profile_shows_the_newsletter_status_without_a_query_more(
    member_client: Client, member: User, django_assert_num_queries: Any
) -> None:
    services.subscriber_subscribe_member(user=member)
    member_client.get("/account/")

    with django_assert_num_queries(2):  # events, sessions: the status comes from the cache
        body = member_client.get("/account/").content.decode()

    assert 'id="newsletter-profile-status"' in body and "abonné depuis le" in body
    services.subscriber_unsubscribe_member(user=member)
    assert "désabonné le" in member_client.get("/account/").content.decode()


def test_pv4_the_public_form_subscribes_only_once_the_owner_confirms(
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Double opt-in through the pages: form (form cookie), email, confirmation page, button."""
    visitor = Client(enforce_csrf_checks=True)
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(visitor, "/en/newsletter/", {"email": "reader@example.org"})
    assert response.status_code == 302 and response["Location"] == "/en/newsletter/sent/"
    assert response.cookies["cm_form_newsletter"].value == ""  # the form cookie is deleted on success
    assert not Subscriber.objects.exists()

    path = link_path(mail.outbox[0].body, CONFIRM_LINK)
    assert path.startswith("/en/newsletter/confirm/")
    page = Client().get(path)
    assert page.status_code == 200 and "Confirm my subscription" in page.content.decode()
    assert not Subscriber.objects.exists()  # a scanner's GET subscribes nobody

    done = Client(enforce_csrf_checks=True).post(path)
    assert done.status_code == 200 and not done.cookies
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.language, subscriber.source) == ("reader@example.org", "en", "public_form")


def test_pv4_the_public_form_without_its_cookie_is_refused_and_sends_nothing() -> None:
    page = Client().get("/newsletter/")
    assert page.cookies["cm_form_newsletter"]["max-age"] == 3600

    response = Client(enforce_csrf_checks=True).post("/newsletter/", {"email": "reader@example.org", "form_token": "x"})

    assert response.status_code == 400
    assert mail.outbox == []


def test_pv4_a_forged_confirmation_link_gets_a_clear_message_and_subscribes_nobody() -> None:
    for method in ("get", "post"):
        response = getattr(Client(), method)("/newsletter/confirm/not-a-real-token/")
        assert response.status_code == 400
        assert "Lien invalide ou expiré" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_ck9_the_cookie_policy_lists_the_newsletter_form_cookie() -> None:
    body = Client().get("/legal/cookies/").content.decode()

    assert "cm_form_newsletter" in body
    assert "abonnement à la newsletter" in body


@pytest.fixture
def spool_dir(settings: Any, tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "spool"
    settings.ANALYTICS_SPOOL_DIR = directory
    spool.writer.close()
    yield directory
    spool.writer.close()


def test_pv4_pv5_newsletter_link_tokens_never_reach_the_request_log(subscriber: Subscriber, spool_dir: Path) -> None:
    unsubscribe = unsubscribe_token(subscriber.pk)
    confirm = confirm_token(email="reader@example.org", language="fr")

    Client().get(f"/newsletter/unsubscribe/{unsubscribe}/")
    Client().post(f"/en/newsletter/unsubscribe/{unsubscribe}/")
    Client().get(f"/newsletter/confirm/{confirm}/")

    paths = [record.path for record in records()]
    assert paths == [
        f"/newsletter/unsubscribe/{REDACTED}/",
        f"/en/newsletter/unsubscribe/{REDACTED}/",
        f"/newsletter/confirm/{REDACTED}/",
    ]
    content = b"".join(path.read_bytes() for path in spool_dir.glob("*.spool"))
    assert unsubscribe.encode() not in content and confirm.encode() not in content
