"""TR-7: one address, one account — emails are NFKC-normalised and case-folded for uniqueness and login."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.test import Client

from cloudmentor.accounts import selectors, services
from cloudmentor.accounts.exceptions import EmailTaken
from cloudmentor.accounts.models import User, email_key

from .conftest import log_in
from .factories import UserFactory

pytestmark = pytest.mark.django_db

FULLWIDTH = "ＡＬＩＣＥ@ｅｘａｍｐｌｅ.org"


def test_tr7_the_key_of_an_address_is_nfkc_then_casefold() -> None:
    assert email_key(FULLWIDTH) == "alice@example.org"
    assert email_key(" Alice@Example.ORG ") == "alice@example.org"
    assert email_key("ﬁlm@example.org") == "film@example.org"  # ligature, NFKC


def test_tr7_a_look_alike_address_cannot_make_a_second_account() -> None:
    UserFactory(username="alice", email="alice@example.org")

    with pytest.raises(EmailTaken):
        services.user_register(
            username="alice2",
            email=FULLWIDTH,
            password="correct horse battery",
            terms_version=None,
            newsletter_opt_in=False,
            language="fr",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="alice3", email="ａｌｉｃｅ@example.org")

    assert User.objects.count() == 1


def test_tr7_a_stored_address_is_nfkc_normalised_and_keeps_its_case() -> None:
    user = services.user_register(
        username="bob",
        email="Ｂｏｂ@Example.org",
        password="correct horse battery",
        terms_version=None,
        newsletter_opt_in=False,
        language="fr",
    )

    user.refresh_from_db()
    assert (user.email, user.email_key) == ("Bob@Example.org", "bob@example.org")


def test_tr7_login_by_email_uses_the_same_normalisation(client: Client) -> None:
    UserFactory(username="alice", email="alice@example.org")

    response = log_in(client, FULLWIDTH)

    assert response.status_code == 302
    assert selectors.user_by_email(FULLWIDTH) == selectors.user_by_identifier(FULLWIDTH) is not None


def test_tr7_changing_the_address_moves_its_key() -> None:
    alice = UserFactory(username="alice", email="alice@example.org")

    alice.email = "Alice@New.example.org"
    alice.save(update_fields=["email"])

    assert User.objects.get(pk=alice.pk).email_key == "alice@new.example.org"
    assert selectors.user_by_email("ALICE@new.EXAMPLE.org") == alice


def test_tr7_the_migration_fills_the_keys_and_leaves_a_duplicate_without_one() -> None:
    """Rows written before the key existed get theirs; a look-alike of an older row keeps none (decision 0106)."""
    User.objects.bulk_create(
        [
            User(username="first", email="alice@example.org"),
            User(username="second", email="ａｌｉｃｅ@example.org"),
            User(username="third", email="Carol@Example.org"),
        ]
    )
    migration = importlib.import_module("cloudmentor.accounts.migrations.0008_user_email_key")

    migration.email_keys_fill(apps, None)

    keys = dict(User.objects.values_list("username", "email_key"))
    assert keys == {"first": "alice@example.org", "second": None, "third": "carol@example.org"}
