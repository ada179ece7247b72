"""Searching the demo catalog finds the lessons that talk about it (LX-3, LM-1, LX-8)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from cloudmentor.billing.models import AccessLevel
from cloudmentor.demo.catalog.loader import catalog_load
from cloudmentor.learning import search

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.parametrize(("query", "word"), [("docker", "docker"), ("k8s", "kubernetes"), ("python", "python")])
def test_lm1_the_demo_catalog_answers_docker_k8s_and_python(query: str, word: str, client: Client) -> None:
    catalog_load()
    hits = search.lesson_search(query, access_level=AccessLevel.EXPERT)
    assert hits, query
    assert all(hit.snippet for hit in hits)
    assert any(word in str(hit.snippet).lower() or word in hit.lesson.title.lower() for hit in hits)
    page = client.get("/courses/", {"q": query}).content.decode()
    assert 'id="lesson-list"' in page and hits[0].lesson.title.replace("'", "&#x27;") in page
