"""The home page's banner of a new version, its lifetime, and what it costs (TM-1)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cloudmentor.accounts.models import User
from cloudmentor.core import pageparts
from cloudmentor.legal.models import PolicyDocument

pytestmark = pytest.mark.django_db

T0 = datetime(2027, 2, 1, 10, 0, tzinfo=UTC)


def _banner(client: Client, path: str = "/") -> str | None:
    body = client.get(path).content.decode().replace("&#x27;", "'")
    start = body.find('id="policy-banner"')
    return None if start < 0 else body[start : body.find("</div>", start)]


def test_tm1_publishing_shows_a_banner_in_french_and_english_for_the_configured_days(
    client: Client, publish: Callable[..., PolicyDocument], settings: Any
) -> None:
    """Visitors (cookieless, from the page cache) see the banner until the last second, then not."""
    settings.LEGAL_PUBLICATION_BANNER_DAYS = 30
    end = T0 + timedelta(days=30)
    with time_machine.travel(T0, tick=False):
        assert _banner(client) is None
        publish(summary_fr="La clause de remboursement est précisée.", summary_en="The refund clause is clarified.")

    with time_machine.travel(end - timedelta(seconds=1), tick=False):
        french, english = _banner(client), _banner(client, "/en/")
    with time_machine.travel(end + timedelta(seconds=1), tick=False):
        french_after, english_after = _banner(client), _banner(client, "/en/")

    assert french is not None and english is not None
    assert "Conditions d'utilisation : nouvelle version du 1 février 2027." in french
    assert "La clause de remboursement est précisée." in french and 'href="/legal/terms/"' in french
    assert "Terms of use: new version of Feb. 1, 2027." in english
    assert "The refund clause is clarified." in english and 'href="/en/legal/terms/"' in english
    assert french_after is None and english_after is None


def test_tm1_the_banner_appears_at_once_on_a_cached_anonymous_home_page(
    client: Client, publish: Callable[..., PolicyDocument], django_assert_num_queries: Any
) -> None:
    client.get("/")
    with django_assert_num_queries(0):
        assert _banner(client) is None  # served from the page cache

    publish(kind="privacy", summary_fr="Durée de conservation précisée.")

    banner = _banner(client)
    assert banner is not None and "Politique de confidentialité : nouvelle version" in banner
    assert "Durée de conservation précisée." in banner


def test_tm1_the_banner_lasts_the_number_of_days_set(
    client: Client, publish: Callable[..., PolicyDocument], settings: Any
) -> None:
    settings.LEGAL_PUBLICATION_BANNER_DAYS = 7
    with time_machine.travel(T0, tick=False):
        publish()
    with time_machine.travel(T0 + timedelta(days=7, seconds=-1), tick=False):
        assert _banner(client) is not None
    with time_machine.travel(T0 + timedelta(days=7, seconds=1), tick=False):
        assert _banner(client) is None


def _home_queries(client: Client, path: str = "/") -> int:
    client.get(path)  # warm: caches, the session's last activity
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


@contextmanager
def _without_part(name: str) -> Iterator[None]:
    """Pages without the page part `name` (core.pageparts) for a while: the figure to compare with."""
    part = next(part for part in pageparts.parts() if part.name == name)
    pageparts.unregister(name)
    try:
        yield
    finally:
        pageparts.register(part)


def test_tm1_the_banner_and_the_notice_add_no_query_to_the_home_page(
    member_client: Client, member: User, publish: Callable[..., PolicyDocument], settings: Any
) -> None:
    """In steady state the home page costs what it cost without legal's context processor and page part."""
    processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "OPTIONS": {
                **settings.TEMPLATES[0]["OPTIONS"],
                "context_processors": [name for name in processors if "legal" not in name],
            },
        }
    ]
    with _without_part("terms_notice"):
        without_legal = _home_queries(member_client)
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "OPTIONS": {**settings.TEMPLATES[0]["OPTIONS"], "context_processors": processors}}
    ]

    publish()  # a banner, and a notice for the member (who accepted version 1)
    page = member_client.get("/").content.decode()
    assert 'id="policy-banner"' in page and 'id="terms-notice"' in page

    assert _home_queries(member_client) == without_legal
    # A visitor who sends a cookie (a form in progress) reaches the view too.
    visitor = Client()
    visitor.get("/accounts/login/")
    assert _home_queries(visitor) <= without_legal
