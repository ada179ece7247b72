from __future__ import annotations

from collections import Counter

import pytest
from django.contrib import admin
from django.test import Client
from django.utils import translation

pytestmark = pytest.mark.django_db

# Labels of third-party apps and models as they ship, untranslated (issue 13).
STOCK_ENGLISH = ("OTP_TOTP", "Otp_Totp", "TOTP devices", "Tasks Database Backend", "Task Results")


def _labels(language: str) -> tuple[list[str], list[str]]:
    """Return the staff site's section names and list names in `language`."""
    with translation.override(language):
        sections = sorted({str(model._meta.app_config.verbose_name) for model in admin.site._registry})
        lists = [str(model._meta.verbose_name_plural) for model in admin.site._registry]
    return sections, lists


@pytest.mark.parametrize("language", ["fr", "en"])
def test_bz5_one_name_per_concept_in_the_staff_site(language: str) -> None:
    """No two sections, and no two lists, share a name: roles are not member groups, the request
    log is not the statistics."""
    sections, lists = _labels(language)

    duplicated_lists = [name for name, count in Counter(n.lower() for n in lists).items() if count > 1]
    assert duplicated_lists == []
    assert len({name.lower() for name in sections}) == len(sections)
    statistics = "Statistiques" if language == "fr" else "Statistics"
    assert statistics not in sections  # the staff home's « Statistiques » block is the only one


def test_bz5_third_party_labels_are_translated() -> None:
    """The second factor's devices and the task queue's results have French and English names."""
    fr_sections, fr_lists = _labels("fr")
    en_sections, en_lists = _labels("en")

    for stock in STOCK_ENGLISH:
        assert stock not in fr_sections + fr_lists + en_sections + en_lists
    assert "appareils TOTP du personnel" in fr_lists
    assert "staff TOTP devices" in en_lists
    assert "Tâches en arrière-plan" in fr_sections
    assert "Background tasks" in en_sections
    assert "rôles du personnel" in fr_lists
    assert "staff roles" in en_lists


def test_bz5_every_list_of_the_staff_site_has_an_english_name() -> None:
    """Each list's name changes with the language, but for words that are the same in both."""
    same_in_both = {"sessions", "newsletter", "questions", "modules", "certificats"}
    with translation.override("fr"):
        french = {model: str(model._meta.verbose_name_plural) for model in admin.site._registry}
    with translation.override("en"):
        english = {model: str(model._meta.verbose_name_plural) for model in admin.site._registry}

    untranslated = [name for model, name in french.items() if english[model] == name and name not in same_in_both]
    assert untranslated == []
    assert "courses" in english.values()
    assert "quizzes" in english.values()


def test_bz5_the_staff_home_shows_the_translated_sections(staff_client: Client) -> None:
    """The list of the staff site's sections under the figures, in French then in English."""
    french = staff_client.get("/staff/").content.decode()
    english = staff_client.get("/en/staff/").content.decode()

    assert "Second facteur du personnel" in french
    assert "Journal des requêtes" in french
    assert "Staff second factor" in english
    assert "Request log" in english
    for stock in STOCK_ENGLISH:
        assert f">{stock}<" not in french
        assert f">{stock}<" not in english
