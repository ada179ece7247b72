"""Usernames that only look different are the same name (PV-2, TR-7): Unicode look-alikes are normalised (NFKC)."""

from __future__ import annotations

import pytest

from cloudmentor.accounts import services
from cloudmentor.accounts.exceptions import UsernameTaken
from cloudmentor.accounts.models import User
from cloudmentor.accounts.selectors import user_by_identifier

from .factories import UserFactory

pytestmark = pytest.mark.django_db

FULLWIDTH_ALICE = "ａｌｉｃｅ"  # U+FF41…: looks like "alice" on most screens


def _register(username: str, email: str) -> User:
    return services.user_register(
        username=username,
        email=email,
        password="correct horse battery staple",
        terms_version=None,
        newsletter_opt_in=False,
        language="fr",
        welcome_email=False,
    )


def test_tr7_pv2_a_fullwidth_look_alike_of_a_taken_username_is_taken() -> None:
    UserFactory(username="alice")

    with pytest.raises(UsernameTaken):
        _register(FULLWIDTH_ALICE, "other@example.org")

    assert User.objects.count() == 1


def test_tr7_pv2_a_username_is_stored_in_its_normal_form_and_found_by_any_look_alike() -> None:
    user = _register("ｂｏｂ", "bob@example.org")

    assert user.username == "bob"
    assert user_by_identifier("ＢＯＢ") == user


def test_tr7_pv7_renaming_to_a_look_alike_of_someone_elses_name_is_refused() -> None:
    UserFactory(username="alice")
    bob = UserFactory(username="bob")

    with pytest.raises(UsernameTaken):
        services.username_change(user=bob, username="ＡＬＩＣＥ", actor=bob)

    bob.refresh_from_db()
    assert bob.username == "bob"
