"""The privacy page's facts, generated from the settings the code runs with (PV-6, PV-7, TR-5, TR-1).

Like the cookie table (CK-9): the processors that receive personal data, the staff roles and
what each sees, how long backups are kept and what the recovery promise is.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from cloudmentor.accounts.roles import ROLES

pytestmark = pytest.mark.django_db


def _section(client: Client, path: str = "/legal/privacy/") -> str:
    body = client.get(path).content.decode()
    found = re.search(r'<section[^>]*id="privacy-facts".*?</section>\s*</section>', body, re.S) or re.search(
        r'<section[^>]*id="privacy-facts".*', body, re.S
    )
    assert found, "the privacy page has no facts section"
    return found.group(0)


def test_pv6_stripe_is_listed_with_what_it_receives_when_card_payments_go_through_it(
    client: Client, settings: Any
) -> None:
    settings.STRIPE_SECRET_KEY = "sk_live_x"
    settings.BILLING_PAYMENT_PROVIDER = ""

    section = _section(client)

    row = re.search(r'<tr data-processor="payment">(.*?)</tr>', section, re.S)
    assert row is not None
    assert "Stripe" in row.group(1)
    for received in ("adresse e-mail", "montant", "description"):
        assert received in row.group(1)


def test_pv6_no_payment_processor_is_listed_when_none_is_configured(client: Client, settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = ""
    settings.BILLING_PAYMENT_PROVIDER = ""

    assert 'data-processor="payment"' not in _section(client)


def test_pv6_the_email_provider_is_named_from_the_smtp_settings(client: Client, settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "smtp.gmail.com"

    gmail = re.search(r'<tr data-processor="email">(.*?)</tr>', _section(client), re.S)
    settings.EMAIL_HOST = "mail.example.net"
    client.get("/")  # nothing cached between the two: settings are read at call time
    from django.core.cache import cache

    cache.clear()
    other = re.search(r'<tr data-processor="email">(.*?)</tr>', _section(client), re.S)

    assert gmail and "Gmail" in gmail.group(1) and "adresse e-mail" in gmail.group(1)
    assert other and "mail.example.net" in other.group(1)


def test_pv7_the_roles_table_says_which_staff_role_sees_which_data(client: Client) -> None:
    """One row per role of accounts.roles, with what it sees: the table cannot drift from the rights."""
    section = _section(client)

    rows = re.findall(r'<tr data-role="([^"]+)">(.*?)</tr>', section, re.S)
    assert [name for name, _row in rows] == [role.name for role in ROLES]
    for (_name, row), role in zip(rows, ROLES, strict=True):
        assert str(role.label) in row
        assert str(role.sees).replace("'", "&#x27;") in row


def test_pv6_backups_and_the_recovery_promise_follow_the_settings(client: Client, settings: Any) -> None:
    settings.OPERATIONS_BACKUP_RETENTION_DAYS = 45

    section = _section(client)

    backups = re.search(r'<p id="privacy-backups">(.*?)</p>', section, re.S)
    assert backups and "45 jours" in backups.group(1)
    assert "récupérer" in section


def test_pv6_the_facts_are_in_english_under_en(client: Client, settings: Any) -> None:
    settings.STRIPE_SECRET_KEY = "sk_live_x"
    settings.BILLING_PAYMENT_PROVIDER = ""

    section = _section(client, "/en/legal/privacy/")

    assert "Who else receives your data" in section
    assert "email address" in section and "amount" in section
    assert "Administrator" in section
