"""The outside checks of issue 11, through the whole middleware stack, as a visitor, a member or staff sees them."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.accounts.tests.factories import StaffFactory, UserFactory
from cloudmentor.billing import services as billing_services
from cloudmentor.billing.models import Invoice, Payment
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory
from conftest import csrf_post, log_in_client, production_python, submit

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
SUBSCRIBE_BOXES = {"accept_terms": "on", "consent": "on"}  # terms; immediate access (BZ-2)
_TOKENS = re.compile(r'name="(form_token|csrfmiddlewaretoken)" value="[^"]+"')


def _page(response: Any) -> str:
    return _TOKENS.sub("", response.content.decode())


@pytest.fixture
def invoice(django_capture_on_commit_callbacks: Any) -> Invoice:
    """A member with an issued invoice."""
    alice = UserFactory(username="alice", email="alice@example.org")
    plan = PlanFactory(slug="pro-3", price=Decimal("49.00"), duration_months=3)
    with time_machine.travel(T0, tick=False):
        billing_services.subscription_purchase(holder=alice, plan=plan, actor=alice)
    with time_machine.travel(T0 + timedelta(days=3), tick=False), django_capture_on_commit_callbacks(execute=True):
        billing_services.billing_run()
    return Invoice.objects.get(customer__user=alice)


# Staff password only: nothing of a member's ----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/account/billing/invoices/{invoice}/",
        "/account/billing/invoices/{invoice}/pdf/",
        "/staff/",
        "/staff/accounts/user/{member}/change/",
        "/staff/billing/invoice/{invoice}/change/",
        "/staff/analytics/",
    ],
)
def test_staff_with_the_password_only_opens_nothing_of_a_members(invoice: Invoice, url: str) -> None:
    """TR-1: logged in with the staff password and no second factor, no member's data shows."""
    staff = log_in_client(Client(), StaffFactory(username="root", email="root@example.org", is_superuser=True))
    member = invoice.customer.user
    assert member is not None

    response = staff.get(url.format(invoice=invoice.pk, member=member.pk))

    body = response.content.decode(errors="replace")
    assert response.status_code in {302, 403, 404}, (url, response.status_code)
    assert "alice@example.org" not in body and invoice.number not in body


# Odd methods, caching, server errors ---------------------------------------------------------------------


@pytest.mark.parametrize("method", ["TRACE", "TRACK", "PUT", "DELETE", "PATCH", "PROPFIND"])
@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/account/", "/healthz", "/billing/webhooks/stripe/"])
def test_odd_methods_are_405(method: str, url: str) -> None:
    assert Client().generic(method, url).status_code == 405


@pytest.mark.parametrize("url", ["/", "/courses/", "/account/", "/account/billing/", "/account/data/", "/plans/"])
def test_member_pages_are_private_no_store(url: str) -> None:
    member = log_in_client(Client(), UserFactory(username="bob", email="bob@example.org"))

    response = member.get(url)

    assert response.status_code == 200, url
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


# Enumeration -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/accounts/register/", {"username": "x1", "password": "short", "accept_terms": "on"}),
        ("/accounts/register/", {"username": "x2", "password": "correct horse battery", "accept_terms": ""}),
        ("/plans/pro-3/subscribe/", {"plan": "pro-3", "username": "", "password": "wrong", **SUBSCRIBE_BOXES}),
        ("/plans/pro-3/subscribe/", {"plan": "pro-3", "username": "x3", "password": "short", **SUBSCRIBE_BOXES}),
        ("/accounts/password/forgot/", {}),
    ],
)
def test_no_page_says_whether_an_address_has_an_account(url: str, data: dict[str, str]) -> None:
    """TR-7, CK-6: the same answer for a known and an unknown address."""
    PlanFactory(slug="pro-3", price=Decimal("49.00"), duration_months=3)
    UserFactory(username="alice", email="alice@example.org")

    known = submit(Client(), url, {**data, "email": "Alice@Example.org"})
    unknown = submit(Client(), url, {**data, "email": "nobody@example.org"})

    assert known.status_code == unknown.status_code
    if known.status_code == 200:
        assert _page(known).replace("Alice@Example.org", "@") == _page(unknown).replace("nobody@example.org", "@")
    else:
        assert known["Location"] == unknown["Location"]


def test_login_does_not_say_which_part_is_wrong() -> None:
    UserFactory(username="alice", email="alice@example.org")

    known = submit(Client(), "/accounts/login/", {"identifier": "alice", "password": "not it at all"})
    unknown = submit(Client(), "/accounts/login/", {"identifier": "nobody", "password": "not it at all"})

    assert _page(known).replace("alice", "@") == _page(unknown).replace("nobody", "@")


# Author content, webhooks -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["⁅r:zzz⁆", "⁅r:csrf⁆", "⁅csrf⁆", "⁅r:account⁆", "⁅d1⁆ ⁅m1⁆", "{{ csrf_token }}"])
def test_author_content_never_fills_a_marker(text: str) -> None:
    """TR-7: text an author types that looks like the page's own slots is shown as typed, never a 500."""
    module = ModuleFactory(course=CourseFactory(slug="odd", title=f"Cours {text}", access_level=0))
    LessonFactory(module=module, slug="one", title=f"Leçon {text}", body=f"Avant {text} après.", position=1)
    member = log_in_client(Client(), UserFactory(username="reader", email="reader@example.org"))

    responses = [member.get("/courses/odd/one/"), member.get("/courses/odd/one/"), Client().get("/courses/odd/")]

    for response in responses:
        assert response.status_code == 200
    html = responses[0].content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert f"Avant {text} après." in html
    assert token is None or html.count(token.group(1)) == html.count('name="csrfmiddlewaretoken"')


def _signed(payload: bytes, secret: str) -> str:
    timestamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


@pytest.mark.parametrize(
    ("event", "answers"),
    [
        ({"type": "checkout.session.completed"}, {400}),
        ({"type": "checkout.session.completed", "data": None}, {400}),
        ({"type": "checkout.session.completed", "data": {"object": "not a session"}}, {400}),
        ({"type": "checkout.session.async_payment_succeeded", "data": {"object": {}}}, {400}),
        ([], {400}),
        ("text", {400}),
        # A session of nobody's here: acknowledged (Stripe would retry a refusal for days), nothing paid.
        ({"type": "checkout.session.completed", "data": {"object": {"id": 12, "metadata": []}}}, {200, 400}),
    ],
)
def test_a_correctly_signed_malformed_webhook_is_400(settings: Any, event: Any, answers: set[int]) -> None:
    settings.STRIPE_SECRET_KEY = "sk_test_audit"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_audit"
    payload = json.dumps(event).encode()

    response = Client(raise_request_exception=False).post(
        "/billing/webhooks/stripe/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=_signed(payload, "whsec_audit"),
    )

    assert response.status_code in answers
    assert not Payment.objects.exists()


# Cookie flags in production -----------------------------------------------------------------------------------

_PRODUCTION_LOGIN = """
import json
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
call_command("migrate", verbosity=0)
# Static files: names without collectstatic's manifest (the cookies do not depend on them).
plain = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
with override_settings(STORAGES=plain):
    page = Client().get("/accounts/login/", secure=True, HTTP_HOST="learn.example.org")
print(json.dumps({name: {key: str(morsel[key]) for key in ("secure", "httponly", "samesite", "path", "domain")}
                  for name, morsel in page.cookies.items()}))
"""


def test_cookies_are_secure_httponly_samesite_and_host_only_in_production() -> None:
    """CK-1, TR-7: the login form's cookie as production sends it (the real production settings)."""
    cookies = json.loads(production_python(_PRODUCTION_LOGIN).strip().splitlines()[-1])

    assert set(cookies) == {"cm_form_login"}
    assert cookies["cm_form_login"] == {
        "secure": "True",
        "httponly": "True",
        "samesite": "Strict",
        "path": "/",
        "domain": "",
    }


def test_a_member_changing_their_address_to_a_taken_one_learns_nothing() -> None:
    UserFactory(username="alice", email="alice@example.org")
    bob = log_in_client(Client(), UserFactory(username="bob", email="bob@example.org"))

    taken = csrf_post(bob, "/account/", {"username": "bob", "email": "alice@example.org"}, page="/account/")
    free = csrf_post(bob, "/account/", {"username": "bob", "email": "carol@example.org"}, page="/account/")

    assert taken.status_code == free.status_code == 302
    assert User.objects.get(username="bob").email == "bob@example.org"
