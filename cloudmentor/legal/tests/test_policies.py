from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from cloudmentor.legal.models import PolicyDocument
from cloudmentor.legal.services import policy_seed

from .factories import DraftFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "title", "sentence"),
    [
        ("/legal/cookies/", "Politique des cookies", "nous définirons un cookie temporaire"),
        ("/legal/privacy/", "Politique de confidentialité", "adresse IP"),
        ("/legal/terms/", "Conditions d'utilisation", "Abonnements et Paiements"),
        ("/en/legal/cookies/", "Cookie policy", "temporary cookie"),
        ("/en/legal/privacy/", "Privacy policy", "IP (Internet Protocol) address"),
        ("/en/legal/terms/", "Terms of use", "Subscriptions and payments"),
    ],
)
def test_tm1_the_three_policies_are_served_in_french_and_english(
    client: Client, path: str, title: str, sentence: str
) -> None:
    body = client.get(path).content.decode()

    assert f"<h1>{title}</h1>" in body.replace("&#x27;", "'")
    assert sentence in body.replace("&#x27;", "'")
    assert "Version 1" in body


def test_tm1_a_newer_published_version_replaces_the_page_and_a_draft_does_not(
    client: Client, publish: Callable[..., PolicyDocument]
) -> None:
    publish(body_fr="## Nouveau\n\nTexte v2")
    DraftFactory(body_fr="Brouillon")

    body = client.get("/legal/terms/").content.decode()

    assert "Texte v2" in body and "Version 2" in body
    assert "Brouillon" not in body


def test_policy_markdown_is_sanitized(client: Client, publish: Callable[..., PolicyDocument]) -> None:
    publish(kind="privacy", body_fr="<script>alert(1)</script>\n\n[x](javascript:alert(1)) [ok](https://example.org)")

    body = client.get("/legal/privacy/").content.decode()

    assert "<script>alert" not in body
    assert "javascript:" not in body
    assert 'href="https://example.org" rel="noopener noreferrer"' in body


@pytest.mark.django_db
def test_seeding_twice_creates_nothing_more() -> None:
    assert PolicyDocument.objects.count() == 3
    assert policy_seed() == 0
    assert PolicyDocument.objects.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/legal/nothing/", "/legal/nothing/v1/", "/legal/terms/v9/", "/legal/terms/v0/"])
def test_unknown_policy_or_version_is_a_404(client: Client, path: str) -> None:
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_a_policy_page_is_served_to_cookieless_visitors_from_the_page_cache(
    client: Client, django_assert_num_queries
) -> None:
    """Reading a policy costs no query once it is cached, and still sets no cookie."""
    first = client.get("/legal/privacy/")

    with django_assert_num_queries(0):
        second = client.get("/legal/privacy/")

    assert second.content == first.content
    assert not second.cookies


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("prefix", "download"), [("", "télécharger toutes vos données"), ("/en", "download all your data")]
)
def test_pv9_pv10_the_privacy_policy_points_to_the_self_service_pages(
    client: Client, prefix: str, download: str
) -> None:
    """The policy promises access, export and erasure: its page leads to each of them."""
    body = client.get(f"{prefix}/legal/privacy/").content.decode()

    for path in ("/account/", "/account/activity/", "/account/data/", "/account/delete/", "/contact/"):
        assert f'href="{prefix}{path}"' in body
    assert download in body
    assert 'id="privacy-self-service"' not in client.get(f"{prefix}/legal/terms/").content.decode()
