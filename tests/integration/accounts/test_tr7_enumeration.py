"""TR-7: the registration pages, the subscribe page and the email change never say whether an
address has an account; the email to that address says the rest (decision 0106)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import PASSWORD, UserFactory
from cloudmentor.billing.models import Subscription
from cloudmentor.billing.tests.factories import PlanFactory
from conftest import csrf_post, log_in_client, submit

pytestmark = pytest.mark.django_db

NEW_MEMBER = {
    "username": "mallory",
    "email": "alice@example.org",
    "password": "correct horse battery",
    "accept_terms": "on",
}
_TOKENS = re.compile(r'name="(form_token|csrfmiddlewaretoken)" value="[^"]+"')


def _page(response: Any) -> str:
    """The page without its per-request tokens (form cookie id, CSRF)."""
    return _TOKENS.sub("", response.content.decode())


def _both(url: str, data: dict[str, str]) -> tuple[Any, Any]:
    """Submit `data` once while alice@example.org is free, once while it has an account."""
    free = submit(Client(), url, data)
    UserFactory(username="alice", email="alice@example.org")
    taken = submit(Client(), url, data)
    return free, taken


@pytest.mark.parametrize(
    "change",
    [
        {"password": "short"},  # refused by the password rules
        {"accept_terms": ""},  # terms not accepted
        {"username": "bad name!"},  # invalid username
        {"password": "alice@example.org"},  # too close to the email
    ],
)
def test_tr7_a_refused_registration_is_the_same_page_whether_the_email_has_an_account(change: dict[str, str]) -> None:
    """Whatever else is wrong, the answer is byte for byte the same: nothing says the address is known."""
    free, taken = _both("/accounts/register/", {**NEW_MEMBER, **change})

    assert free.status_code == taken.status_code == 200
    assert _page(free) == _page(taken)
    assert "existe déjà" not in _page(taken)
    assert User.objects.count() == 1


def test_tr7_a_valid_registration_with_a_known_email_says_check_your_inbox_and_the_email_says_the_rest(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """No account, no session: the page asks to check the inbox; the owner is told someone tried, and how
    to log in, reset the password or extend the account."""
    alice = UserFactory(username="alice", email="alice@example.org", language="fr")

    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, "/accounts/register/", {**NEW_MEMBER, "email": "ALICE@example.org"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/register/sent/"
    assert not any(name.endswith("cm_account") and morsel.value for name, morsel in response.cookies.items())
    page = client.get(response["Location"]).content.decode()
    assert "Vérifiez votre boîte de réception" in page
    assert User.objects.get() == alice
    (email,) = mail.outbox
    assert email.to == ["alice@example.org"]
    assert "inscription" in email.subject.lower()
    assert "/accounts/login/" in email.body and "/accounts/password/forgot/" in email.body
    assert "/plans/" in email.body
    assert "mallory" not in email.body  # what the stranger typed is not repeated


def test_tr7_the_check_your_inbox_page_exists_in_english(client: Client) -> None:
    page = client.get("/en/accounts/register/sent/")

    assert page.status_code == 200
    assert "Check your inbox" in page.content.decode()


def test_tr7_the_owner_of_an_address_is_not_flooded_by_attempts(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The "someone tried to register" email shares the per-address limit of recovery emails."""
    settings.ACCOUNTS_RECOVERY_MAX_PER_ACCOUNT = 2
    settings.ACCOUNTS_REGISTER_MAX_PER_IP = 100
    UserFactory(username="alice", email="alice@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        answers = [submit(Client(), "/accounts/register/", NEW_MEMBER)["Location"] for _n in range(4)]

    assert answers == ["/accounts/register/sent/"] * 4
    assert len(mail.outbox) == 2


# /plans/<slug>/subscribe/ ----------------------------------------------------------------------------


@pytest.fixture
def _plan() -> None:
    PlanFactory(slug="pro-3", name="Pro 3 mois", price=Decimal("49.00"), duration_months=3)


SUBSCRIBE = {"plan": "pro-3", "consent": "on", **NEW_MEMBER}  # consent: immediate access (BZ-2)


@pytest.mark.usefixtures("_plan")
@pytest.mark.parametrize(
    "change",
    [
        {"password": "short"},
        {"username": ""},
        {"accept_terms": ""},
        {"password": "not the password", "username": ""},
    ],
)
def test_tr7_a_refused_subscription_is_the_same_page_whether_the_email_has_an_account(change: dict[str, str]) -> None:
    """A wrong password for a known address gets the answer a new address gets, never "this address has an account"."""
    free, taken = _both("/plans/pro-3/subscribe/", {**SUBSCRIBE, **change})

    assert free.status_code == taken.status_code == 200
    assert _page(free) == _page(taken)
    assert "appartient à un compte" not in _page(taken)
    assert not Subscription.objects.exists()


@pytest.mark.usefixtures("_plan")
def test_tr7_a_valid_subscription_with_a_known_email_and_another_password_says_check_your_inbox(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """The stranger learns nothing and gets nothing; the owner learns how to extend their own account (TM-8)."""
    UserFactory(username="alice", email="alice@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client, "/plans/pro-3/subscribe/", SUBSCRIBE)

    assert response["Location"] == "/accounts/register/sent/"
    assert not Subscription.objects.exists() and User.objects.count() == 1
    (email,) = mail.outbox
    assert email.to == ["alice@example.org"]
    assert "/plans/pro-3/subscribe/" in email.body  # the plan they may have wanted to extend with


@pytest.mark.usefixtures("_plan")
def test_tm8_the_right_password_still_extends_the_account_on_the_subscribe_page(client: Client) -> None:
    alice = UserFactory(username="alice", email="alice@example.org")

    response = submit(client, "/plans/pro-3/subscribe/", {**SUBSCRIBE, "username": "", "password": PASSWORD})

    assert response["Location"] == "/account/billing/"
    assert Subscription.objects.get().customer.user == alice


# Email change -------------------------------------------------------------------------------------------


def test_tr7_changing_to_an_address_of_another_account_answers_as_for_a_free_one(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """The member sees "a confirmation link was sent"; the address's owner is told someone asked, and nothing changes."""
    bob = UserFactory(username="bob", email="bob@example.org")
    UserFactory(username="alice", email="alice@example.org")
    log_in_client(client, bob)

    with django_capture_on_commit_callbacks(execute=True):
        taken = csrf_post(client, "/account/", {"username": "bob", "email": "Alice@Example.org"}, page="/account/")
    page = client.get("/account/").content.decode()

    assert taken.status_code == 302
    assert "Un lien de confirmation a été envoyé à Alice@Example.org" in page
    assert "déjà utilisée" not in page
    (email,) = mail.outbox
    assert email.to == ["Alice@Example.org"]
    assert "/account/email/confirm/" not in email.body  # no link that could take the address
    bob.refresh_from_db()
    assert bob.email == "bob@example.org"
