"""The accessibility statement (LX-7): linked from every page's footer, in French and English."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("prefix", "link", "title", "status", "remedy"),
    [
        ("", "Accessibilité", "Déclaration d'accessibilité", "partiellement conforme", "Défenseur des droits"),
        ("/en", "Accessibility", "Accessibility statement", "partially compliant", "Défenseur des droits"),
    ],
)
def test_lx7_the_accessibility_statement_is_linked_from_the_footer_and_says_how_it_is_checked(
    client: Client, settings, prefix: str, link: str, title: str, status: str, remedy: str
) -> None:
    home = client.get(prefix + "/").content.decode()
    assert f'href="{prefix}/accessibility/">{link}</a>' in home

    response = client.get(prefix + "/accessibility/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>{title}</h1>" in page
    assert status in page and "WCAG 2.2" in page and "axe-core" in page
    assert remedy in page
    assert f"mailto:{settings.SUPPORT_EMAIL}" in page
    assert f'href="{prefix}/contact/"' in page
