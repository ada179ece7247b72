"""Staff write a version as a draft, preview it and publish it; published versions never change (TM-1)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.test import Client

from cloudmentor.accounts.models import User
from cloudmentor.legal import services
from cloudmentor.legal.exceptions import PolicyAlreadyPublished, PolicyIncomplete
from cloudmentor.legal.models import PolicyDocument, PolicyKind

from .factories import DraftFactory

pytestmark = pytest.mark.django_db


def test_tm1_versions_are_numbered_per_kind_without_gaps_when_published(
    publish: Callable[..., PolicyDocument],
) -> None:
    """A draft has no number; each publication takes the next number of its own kind."""
    draft = DraftFactory()
    assert draft.version is None

    numbers = [
        (document.kind, document.version)
        for document in (publish(), publish(kind="privacy"), publish(), publish(kind="cookies"), publish())
    ]

    assert numbers == [("terms", 2), ("privacy", 2), ("terms", 3), ("cookies", 2), ("terms", 4)]
    assert list(
        PolicyDocument.objects.filter(kind="terms").exclude(version=None).values_list("version", flat=True)
    ) == [
        4,
        3,
        2,
        1,
    ]
    assert PolicyDocument.objects.get(pk=draft.pk).version is None


def test_tm1_a_version_number_is_unique_per_kind() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        DraftFactory(kind="terms", version=1, published_at=datetime(2027, 1, 1, tzinfo=UTC))


def test_tm1_publishing_needs_both_languages_and_wastes_no_number(publish: Callable[..., PolicyDocument]) -> None:
    draft = DraftFactory(body_en="  ", summary_fr="")

    with pytest.raises(PolicyIncomplete) as refused:
        services.policy_publish(document=draft, by=None)

    assert refused.value.missing == ["body_en", "summary_fr"]
    assert PolicyDocument.objects.get(pk=draft.pk).version is None
    assert publish().version == 2


def test_tm1_who_published_and_when_is_recorded(staff: User) -> None:
    draft = DraftFactory()

    with time_machine.travel(datetime(2027, 3, 1, 9, 30, tzinfo=UTC), tick=False):
        services.policy_publish(document=draft, by=staff)

    stored = PolicyDocument.objects.get(pk=draft.pk)
    assert (stored.version, stored.published_by, stored.published_at) == (
        2,
        staff,
        datetime(2027, 3, 1, 9, 30, tzinfo=UTC),
    )


def test_tm1_a_published_version_is_never_changed_or_deleted(publish: Callable[..., PolicyDocument]) -> None:
    published = publish(body_fr="Texte publié")
    published.body_fr = "Réécrit"

    with pytest.raises(PolicyAlreadyPublished):
        services.policy_draft_save(document=published, by=None)
    with pytest.raises(PolicyAlreadyPublished):
        services.policy_draft_delete(document=published)
    with pytest.raises(PolicyAlreadyPublished):
        services.policy_publish(document=published, by=None)

    stored = PolicyDocument.objects.get(pk=published.pk)
    assert (stored.body_fr, stored.version) == ("Texte publié", 2)


def test_tm1_past_versions_stay_readable_and_are_listed(client: Client, publish: Callable[..., PolicyDocument]) -> None:
    publish(body_fr="## Deuxième\n\nTexte de la v2", body_en="## Second\n\nText of v2")

    current = client.get("/legal/terms/").content.decode()
    old = client.get("/legal/terms/v1/").content.decode()
    old_en = client.get("/en/legal/terms/v1/").content.decode()

    assert "Texte de la v2" in current and "Version 2, publiée le" in current
    assert 'href="/legal/terms/v1/"' in current
    assert "Les remboursements sont précisés." in current  # what changed
    assert "Abonnements et Paiements" in old and "Texte de la v2" not in old
    assert "plus la version en vigueur" in old and 'href="/legal/terms/"' in old
    assert "Subscriptions and payments" in old_en and "no longer the version in force" in old_en


# The staff site --------------------------------------------------------------------------

FORM = {
    "kind": "terms",
    "summary_fr": "Nouvelle clause sur les données.",
    "summary_en": "New clause about data.",
    "body_fr": "## Conditions\n\nTexte **nouveau**.",
    "body_en": "## Terms\n\nNew **text**.",
}


def test_tm1_staff_write_a_draft_preview_it_then_publish_it(
    staff_client: Client, staff: User, django_capture_on_commit_callbacks
) -> None:
    response = staff_client.post("/staff/legal/policydocument/add/", {**FORM, "_continue": "1"})
    draft = PolicyDocument.objects.get(version=None)
    assert response.status_code == 302 and draft.created_by == staff

    page = staff_client.get(f"/staff/legal/policydocument/{draft.pk}/change/").content.decode()
    assert "<strong>nouveau</strong>" in page and "<strong>text</strong>" in page  # the preview
    assert 'name="_publish"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(f"/staff/legal/policydocument/{draft.pk}/change/", {**FORM, "_publish": "1"})

    assert response.status_code == 302
    published = PolicyDocument.objects.get(pk=draft.pk)
    assert (published.version, published.published_by) == (2, staff)
    page = staff_client.get(f"/staff/legal/policydocument/{draft.pk}/change/").content.decode()
    assert "publiée : la bannière est sur l" in page.replace("&#x27;", "'")
    assert 'name="_publish"' not in page and 'name="_save"' not in page


def test_tm1_staff_cannot_publish_without_english(staff_client: Client) -> None:
    response = staff_client.post("/staff/legal/policydocument/add/", {**FORM, "body_en": "", "_publish": "1"})

    assert response.status_code == 302
    draft = PolicyDocument.objects.get(version=None)
    page = staff_client.get(response["Location"]).content.decode()
    assert "Publication impossible : il manque texte en anglais." in page
    assert draft.published_at is None


def test_tm1_staff_cannot_change_or_delete_a_published_version(staff_client: Client) -> None:
    published = PolicyDocument.objects.get(kind=PolicyKind.TERMS, version=1)
    url = f"/staff/legal/policydocument/{published.pk}/"

    change = staff_client.post(url + "change/", {**FORM, "_save": "1"})
    delete = staff_client.post(url + "delete/", {"post": "yes"})
    page = staff_client.get(url + "change/").content.decode()

    assert change.status_code == 403 and delete.status_code == 403
    assert PolicyDocument.objects.get(pk=published.pk).body_fr == published.body_fr
    assert not re.search(r'name="(_save|_publish)"', page)


def test_tm1_staff_may_delete_a_draft(staff_client: Client) -> None:
    draft = DraftFactory()

    staff_client.post(f"/staff/legal/policydocument/{draft.pk}/delete/", {"post": "yes"})

    assert not PolicyDocument.objects.filter(pk=draft.pk).exists()


def test_tm1_the_editor_previews_markdown_as_the_site_renders_it(staff_client: Client, member_client: Client) -> None:
    url = "/staff/legal/policydocument/preview/"

    response = staff_client.post(url, {"body": "## Titre\n\n**gras** <script>alert(1)</script>"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h2>Titre</h2>" in html and "<strong>gras</strong>" in html and "<script>" not in html
    assert staff_client.get(url).status_code == 405
    assert member_client.post(url, {"body": "x"}).status_code == 302  # to the staff login
