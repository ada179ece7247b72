from __future__ import annotations

import pytest
from django.test import Client

from cloudmentor.operations.models import ContactMessage
from conftest import form_token


@pytest.mark.django_db
def test_pv15_a_visitor_writes_to_staff_through_the_contact_form(
    client: Client, django_capture_on_commit_callbacks, mailoutbox, settings
) -> None:
    """The message is stored, staff get it by email with Reply-To set to the sender."""
    settings.STAFF_ALERT_EMAILS = ["support@example.com"]
    page = client.get("/contact/")
    data = {
        "name": "Ada",
        "email": "ada@example.com",
        "subject": "Devis équipe",
        "message": "Bonjour",
        "form_token": form_token(page),
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/contact/", data)

    assert response.status_code == 302 and response["Location"] == "/contact/sent/"
    assert ContactMessage.objects.get().subject == "Devis équipe"
    assert mailoutbox[0].to == ["support@example.com"]
    assert mailoutbox[0].extra_headers["Reply-To"] == "ada@example.com"
    assert "Merci" in client.get("/contact/sent/").content.decode()


@pytest.mark.django_db
def test_pv15_the_contact_page_shows_the_contact_address(client: Client, settings) -> None:
    assert f"mailto:{settings.SUPPORT_EMAIL}" in client.get("/contact/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "expected"),
    [("/contact/", "Saisissez une adresse de courriel valide"), ("/en/contact/", "Enter a valid email address")],
)
def test_pv15_bad_input_is_explained_in_the_users_language_and_stores_nothing(
    client: Client, path: str, expected: str
) -> None:
    page = client.get(path)

    response = client.post(
        path, {"name": "", "email": "not-an-email", "subject": "x", "message": "", "form_token": form_token(page)}
    )

    assert response.status_code == 200
    assert expected in response.content.decode()
    assert ContactMessage.objects.count() == 0
