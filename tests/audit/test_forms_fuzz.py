"""Every visitor and member form, fuzzed (hypothesis): never a 5xx, and a refused form writes nothing.

Each example is one real submission through the whole stack (a fresh form cookie or CSRF
token each time). The values mix random text (any plane, control characters, NUL), very long
strings, look-alike and hostile strings, and the form's own valid values, so that examples
reach deep validation and the services too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudmentor.accounts.models import AccountEvent, User
from cloudmentor.accounts.tests.factories import PASSWORD, UserFactory
from cloudmentor.accounts.tokens import password_reset_link_token
from cloudmentor.billing.tests.factories import PlanFactory
from cloudmentor.learning.tests.factories import CourseFactory, LessonFactory, ModuleFactory
from conftest import log_in_client

pytestmark = pytest.mark.django_db

EXAMPLES = 15

HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "x" * 5000,
    "ＡＬＩＣＥ@ｅｘａｍｐｌｅ.org",
    "alice@example.org",
    "<script>alert(1)</script>",
    "⁅r:csrf⁆",
    "{{ 7|add:7 }}",
    "'; DROP TABLE accounts_user; --",
    "%s%n%x",
    "../../etc/passwd",
    "\u202e\u200b\ufeff",
    "deleted-1",
    "EFFACER",
    "on",
    "-1",
    "1e309",
    "NaN",
    "0.001",
    "9" * 40,
]
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=300)
VALUE = st.one_of(TEXT, st.sampled_from(HOSTILE))
_TOKENS = {
    "form_token": re.compile(r'name="form_token" value="([^"]+)"'),
    "csrfmiddlewaretoken": re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"'),
}


@dataclass
class FormTarget:
    """A form: where it is, its fields with a valid value each, and the tables a refusal must leave alone.

    ``url`` may be a function that returns it (a link with a fresh token, for each example).
    """

    url: str | Callable[[], str]
    fields: dict[str, str]
    writes: tuple[str, ...]
    member: bool = False
    page: str = ""


FORMS: dict[str, FormTarget] = {
    "registration": FormTarget(
        "/accounts/register/",
        {"username": "fuzzy", "email": "fuzzy@example.org", "password": "correct horse battery", "accept_terms": "on"},
        ("accounts.User", "accounts.AccountEvent"),
    ),
    "login": FormTarget(
        "/accounts/login/",
        {"identifier": "member", "password": PASSWORD},
        ("accounts.User",),
    ),
    "recovery": FormTarget("/accounts/password/forgot/", {"email": "member@example.org"}, ("accounts.User",)),
    "new password": FormTarget(
        lambda: f"/accounts/password/reset/{_reset_token()}/",
        {"password": "another horse battery"},
        ("accounts.AccountEvent",),
    ),
    "contact": FormTarget(
        "/contact/",
        {"name": "Ada", "email": "ada@example.org", "subject": "Question", "message": "Bonjour"},
        ("operations.ContactMessage",),
    ),
    "newsletter": FormTarget("/newsletter/", {"email": "news@example.org"}, ("newsletter.Subscriber",)),
    "donation": FormTarget(
        "/donate/",
        {"preset": "10", "other_amount": "", "name": "Ada", "email": "ada@example.org"},
        ("donations.Donation",),
    ),
    "subscribe": FormTarget(
        "/plans/pro-3/subscribe/",
        {
            "plan": "pro-3",
            "username": "fuzzier",
            "email": "fuzzier@example.org",
            "password": "correct horse battery",
            "accept_terms": "on",
            "consent": "on",
        },
        ("accounts.User", "billing.Subscription", "billing.Invoice"),
    ),
    "profile": FormTarget(
        "/account/", {"username": "member", "email": "member@example.org"}, ("accounts.User",), member=True
    ),
    "password change": FormTarget(
        "/account/password/",
        {"current_password": PASSWORD, "password": "another horse battery"},
        ("accounts.AccountEvent",),
        member=True,
    ),
    "error report": FormTarget(
        "/courses/fuzz/one/report/",
        {"message": "Une coquille au deuxième paragraphe."},
        ("learning.ErrorReport",),
        member=True,
        page="/courses/fuzz/one/",
    ),
    "group": FormTarget(
        "/account/group/",
        {"action": "create", "name": "Équipe"},
        ("accounts.Group", "accounts.GroupInvitation"),
        member=True,
    ),
    "data export": FormTarget("/account/data/", {"password": PASSWORD}, ("accounts.AccountEvent",), member=True),
    "erasure": FormTarget(
        "/account/delete/",
        {"password": "not the password", "confirmation": "EFFACER"},
        ("accounts.User", "accounts.AccountEvent"),
        member=True,
    ),
}


def _reset_token() -> str:
    """A password-reset link's token for the member, as the recovery email carries (CK-6)."""
    member = User.objects.filter(username="member").first()
    return password_reset_link_token(member) if member is not None else "none"


def _counts(labels: tuple[str, ...]) -> dict[str, int]:
    return {label: apps.get_model(label)._default_manager.count() for label in labels}


def _refused(response: Any) -> bool:
    """A submission the site turned down: an error status, or the form again with its errors."""
    if response.status_code >= 400:
        return True
    if response.status_code != 200 or response.streaming:  # a download (the data file) is a success
        return False
    body = response.content.decode(errors="replace")
    return "field--error" in body or 'class="form-problem' in body or "alert--error" in body


def _submit(client: Client, target: FormTarget, data: dict[str, str], ip: str) -> Any:
    url = target.url() if callable(target.url) else target.url
    page = client.get(target.page or url, REMOTE_ADDR=ip)
    body = page.content.decode(errors="replace")
    tokens = {name: found.group(1) for name, pattern in _TOKENS.items() if (found := pattern.search(body))}
    return client.post(url, {**tokens, **data}, REMOTE_ADDR=ip)


@pytest.fixture
def world(settings: Any) -> None:
    """What the forms need: a member, a plan on sale, a free lesson, card payments (the demo provider)."""
    settings.BILLING_PAYMENT_PROVIDER = "demo"
    UserFactory(username="member", email="member@example.org")
    PlanFactory(slug="pro-3", price=Decimal("49.00"), duration_months=3)
    module = ModuleFactory(course=CourseFactory(slug="fuzz", title="Fuzz", access_level=0))
    LessonFactory(module=module, slug="one", title="Une", body="Texte.", position=1)


def _fuzz(name: str) -> Callable[..., None]:
    target = FORMS[name]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(
        changes=st.dictionaries(st.sampled_from(sorted({*target.fields, "unexpected"})), VALUE, max_size=4),
        dropped=st.sets(st.sampled_from(sorted(target.fields)), max_size=2),
        ip=st.integers(min_value=1, max_value=250),
    )
    def check(world: None, changes: dict[str, str], dropped: set[str], ip: int) -> None:
        member = User.objects.filter(username="member", erased_at__isnull=True, is_active=True).first()
        if target.member and member is None:
            return  # an earlier example erased or disabled the member: nothing left to fuzz as them
        client = Client(raise_request_exception=False)
        if target.member and member is not None:
            log_in_client(client, member)
        data = {key: value for key, value in {**target.fields, **changes}.items() if key not in dropped}
        before = _counts(target.writes)

        response = _submit(client, target, data, f"198.51.100.{ip}")

        assert response.status_code < 500, (name, data, response.status_code)
        if _refused(response):
            assert _counts(target.writes) == before, (name, data, response.status_code)
        # An account is never half-made: every one has its registration record.
        assert (
            not User.objects.exclude(username="member")
            .exclude(account_events__kind=AccountEvent.Kind.REGISTERED)
            .exists()
        )

    return check


@pytest.mark.parametrize("name", sorted(FORMS))
def test_every_form_answers_hostile_input_without_a_5xx_and_writes_nothing_when_refused(world: None, name: str) -> None:
    _fuzz(name)(world)
