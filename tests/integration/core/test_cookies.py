from __future__ import annotations

import json
import re
from http.cookies import SimpleCookie
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import Client, RequestFactory

from cloudmentor.core import crypto
from cloudmentor.core.cookies import REGISTRY
from cloudmentor.core.middleware import CookieEncryptionMiddleware
from cloudmentor.operations.models import ContactMessage
from conftest import form_token, production_python

PUBLIC_PAGES = ["/", "/en/", "/legal/cookies/", "/legal/privacy/", "/legal/terms/", "/en/legal/terms/", "/healthz"]
CONTACT = {"name": "Ada", "email": "ada@example.com", "subject": "Question", "message": "Bonjour"}


@pytest.mark.django_db
@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_ck1_a_visitor_who_only_reads_pages_gets_no_cookie(client: Client, path: str) -> None:
    """Reading public pages sets no cookie at all, so visitors are not tracked."""
    response = client.get(path)

    assert response.status_code == 200
    assert not response.cookies


@pytest.mark.django_db
def test_ck1_form_cookie_is_sealed_and_shows_nothing_readable(client: Client) -> None:
    """The contact form's cookie is opaque; only the server can read its id and issue time."""
    response = client.get("/contact/")

    raw = response.cookies["cm_form_contact"].value
    opened = crypto.unseal("cm_form_contact", raw)
    assert opened is not None and '"id"' in opened and '"iat"' in opened
    assert form_token(response) not in raw
    assert response.cookies["cm_form_contact"]["httponly"]
    assert response.cookies["cm_form_contact"]["samesite"] == "Strict"


@pytest.mark.django_db
def test_ck1_flipping_any_byte_of_the_cookie_makes_it_absent_never_a_server_error(client: Client) -> None:
    """Each tampered variant of the cookie is ignored: the form is refused, nothing is stored."""
    page = client.get("/contact/")
    raw = page.cookies["cm_form_contact"].value
    token = form_token(page)
    for position in range(0, len(raw), 3):
        flipped = raw[:position] + ("A" if raw[position] != "A" else "B") + raw[position + 1 :]
        client.cookies["cm_form_contact"] = flipped
        response = client.post("/contact/", {**CONTACT, "form_token": token})
        assert response.status_code == 400
        assert "a expiré" in response.content.decode()
    assert ContactMessage.objects.count() == 0


def test_ck1_a_cookie_differing_only_in_unused_base64_bits_or_stray_characters_is_absent() -> None:
    """Every other spelling of a sealed value than the one the site wrote is refused."""
    token = crypto.seal("cm_form_login", "v", expires_at=None)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(token[-1])
    same_bytes = [alphabet[last ^ bit] for bit in (1, 2, 3) if token[-1] != alphabet[last ^ bit]]

    assert crypto.unseal("cm_form_login", token) == "v"
    for variant in [token[:-1] + char for char in same_bytes] + [token + "=", token[:5] + "." + token[5:]]:
        assert crypto.unseal("cm_form_login", variant) is None


@pytest.mark.django_db
def test_ck1_a_cookie_value_moved_to_another_cookie_name_is_absent(client: Client) -> None:
    """A value sealed for one cookie is worthless under another name."""
    page = client.get("/contact/")
    client.cookies["cm_form_login"] = page.cookies["cm_form_contact"].value
    del client.cookies["cm_form_contact"]

    response = client.post("/contact/", {**CONTACT, "form_token": form_token(page)})

    assert response.status_code == 400
    assert ContactMessage.objects.count() == 0


def test_ck1_unknown_and_undecryptable_cookies_never_reach_the_application() -> None:
    """Foreign cookies (trackers, old plain sessionid/csrftoken) are dropped on the way in."""
    seen: dict[str, str] = {}

    def view(request):
        seen.update(request.COOKIES)
        return HttpResponse("ok")

    request = RequestFactory().get("/")
    good = crypto.seal("cm_form_login", "v", expires_at=None)
    request.COOKIES = {"csrftoken": "abc", "sessionid": "x", "cm_form_login": good, "cm_account": "garbage"}
    CookieEncryptionMiddleware(view)(request)

    assert seen == {"cm_form_login": "v"}


def test_ck1_a_cookie_outside_the_registry_is_never_sent(settings) -> None:
    """The set of cookies is closed: an unregistered cookie fails loudly in tests, is stripped in production."""

    def view(request):
        response = HttpResponse("ok")
        response.set_cookie("tracker", "1")
        return response

    with pytest.raises(ImproperlyConfigured):
        CookieEncryptionMiddleware(view)(RequestFactory().get("/"))

    settings.TESTING = False
    settings.DEBUG = False
    response = CookieEncryptionMiddleware(view)(RequestFactory().get("/"))
    assert "tracker" not in response.cookies


_PRODUCTION_COOKIES = """
import json
from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import RequestFactory
from cloudmentor.core.cookies import cookie_list
from cloudmentor.core.middleware import CookieEncryptionMiddleware

def view(request):
    response = HttpResponse("ok")
    response.set_cookie("cm_form_login", "x", max_age=60)
    response.set_cookie(
        settings.SESSION_COOKIE_NAME, '{"k":"abc"}', max_age=60,
        domain=settings.SESSION_COOKIE_DOMAIN, path=settings.SESSION_COOKIE_PATH,
    )
    return response

response = CookieEncryptionMiddleware(view)(RequestFactory().get("/", secure=True))
print(json.dumps({
    "account": settings.SESSION_COOKIE_NAME,
    "cookies": {name: {key: str(morsel[key]) for key in ("secure", "httponly", "samesite", "path", "domain")}
                for name, morsel in response.cookies.items()},
    "table": render_to_string("legal/cookie_table.html", {"cookies": cookie_list()}),
}))
"""


@pytest.fixture(scope="module")
def production_cookies() -> dict[str, Any]:
    """What the cookie middleware sends, and the cookie table, in a process with the production settings."""
    loaded: dict[str, Any] = json.loads(production_python(_PRODUCTION_COOKIES).strip().splitlines()[-1])
    return loaded


def test_ck1_cookies_are_secure_in_production(production_cookies: dict[str, Any]) -> None:
    """With the real production settings every cookie is Secure, HttpOnly, SameSite, Path=/ and host-only."""
    cookies = production_cookies["cookies"]

    assert set(cookies) == {"cm_form_login", production_cookies["account"]}
    for attributes in cookies.values():
        assert attributes["secure"] == "True" and attributes["httponly"] == "True"
        assert attributes["path"] == "/" and attributes["domain"] == ""
    assert cookies["cm_form_login"]["samesite"] == "Strict"
    assert cookies[production_cookies["account"]]["samesite"] == "Lax"


def test_tr7_the_account_cookie_has_the_host_prefix_in_production(production_cookies: dict[str, Any]) -> None:
    """`__Host-`: the browser keeps it only if Secure, Path=/ and without Domain, so no sibling host or
    plain-HTTP page can plant or overwrite it; the cookie table names it as production sends it."""
    name = production_cookies["account"]

    assert name == "__Host-cm_account"
    assert f'<tr data-cookie="{name}">' in production_cookies["table"]


def test_tr7_the_account_cookie_keeps_its_plain_name_outside_production(settings) -> None:
    """Browsers refuse a `__Host-` cookie without Secure: over plain HTTP (`make run`) the name has no prefix."""
    assert settings.SESSION_COOKIE_NAME == "cm_account"
    assert not settings.SESSION_COOKIE_SECURE


@pytest.mark.django_db
def test_ck2_a_form_cookie_holds_a_random_id_and_issue_time_only(client: Client) -> None:
    """The form cookie carries no personal data: an id, the form it belongs to and its issue time."""
    first = crypto.unseal("cm_form_contact", client.get("/contact/").cookies["cm_form_contact"].value)
    client.cookies.clear()
    second = crypto.unseal("cm_form_contact", client.get("/contact/").cookies["cm_form_contact"].value)

    import json

    payload = json.loads(first)
    assert set(payload) == {"id", "form", "iat"}
    assert payload["form"] == "contact"
    assert json.loads(second)["id"] != payload["id"]


@pytest.mark.django_db
def test_ck2_the_form_cookie_lives_its_lifetime_then_the_form_is_refused(client: Client, settings) -> None:
    """Max-Age equals the form's lifetime; 1 s before it the form works, 1 s after it is refused."""
    lifetime = settings.FORM_COOKIE_LIFETIMES["contact"]
    with time_machine.travel("2027-03-01 10:00:00+00:00", tick=False) as clock:
        page = client.get("/contact/")
        assert int(page.cookies["cm_form_contact"]["max-age"]) == lifetime
        token = form_token(page)

        clock.move_to(f"2027-03-01 10:{(lifetime - 1) // 60:02d}:{(lifetime - 1) % 60:02d}+00:00")
        late = Client()
        late.cookies["cm_form_contact"] = page.cookies["cm_form_contact"].value
        accepted = late.post("/contact/", {**CONTACT, "form_token": token})
        assert accepted.status_code == 302

        clock.move_to("2027-03-01 11:00:01+00:00")
        expired = client.post("/contact/", {**CONTACT, "form_token": token})
        assert expired.status_code == 400
        assert "a expiré" in expired.content.decode()
    assert ContactMessage.objects.count() == 1


@pytest.mark.django_db
def test_ck2_success_deletes_the_form_cookie_and_it_cannot_be_replayed(client: Client) -> None:
    """After a successful submission the cookie is deleted; replaying the old one sends nothing twice."""
    page = client.get("/contact/")
    token = form_token(page)

    response = client.post("/contact/", {**CONTACT, "form_token": token})

    assert response.status_code == 302
    assert response.cookies["cm_form_contact"].value == ""
    assert str(response.cookies["cm_form_contact"]["max-age"]) == "0"
    assert ContactMessage.objects.count() == 1


@pytest.mark.django_db
def test_ck2_a_cookie_of_another_form_or_a_wrong_hidden_id_is_refused(client: Client) -> None:
    """The cookie is bound to one form and to the page that carried its id."""
    page = client.get("/contact/")

    wrong_id = client.post("/contact/", {**CONTACT, "form_token": "forged"})

    assert wrong_id.status_code == 400
    assert ContactMessage.objects.count() == 0
    assert page.status_code == 200


@pytest.mark.django_db
def test_ck8_public_pages_work_with_cookies_disabled() -> None:
    """A browser that refuses cookies can read every public page and see the forms."""
    client = Client()
    for path in [*PUBLIC_PAGES, "/contact/", "/en/contact/"]:
        assert client.get(path).status_code == 200
        client.cookies = SimpleCookie()


@pytest.mark.django_db
def test_ck8_a_form_posted_without_any_cookie_explains_that_cookies_are_required(client: Client) -> None:
    """No cookie at all: the form says cookies are required, links the cookie policy, stores nothing."""
    page = client.get("/contact/")
    client.cookies = SimpleCookie()

    response = client.post("/contact/", {**CONTACT, "form_token": form_token(page)})

    body = response.content.decode()
    assert response.status_code == 400
    assert "aucun cookie" in body
    assert 'href="/legal/cookies/"' in body
    assert 'value="Ada"' in body  # what was typed is kept
    assert ContactMessage.objects.count() == 0


@pytest.mark.django_db
def test_ck8_the_cookies_required_message_is_in_english_on_english_pages(client: Client) -> None:
    page = client.get("/en/contact/")
    client.cookies = SimpleCookie()

    response = client.post("/en/contact/", {**CONTACT, "form_token": form_token(page)})

    body = response.content.decode()
    assert "did not send any cookie" in body
    assert 'href="/en/legal/cookies/"' in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "lifetimes"), [("/legal/cookies/", ("1 jour", "1 heure")), ("/en/legal/cookies/", ("1 day", "1 hour"))]
)
def test_ck9_the_cookie_table_lists_exactly_the_registry(client: Client, path: str, lifetimes: tuple[str, str]) -> None:
    """The cookie policy's table is generated from the registry the middleware enforces."""
    body = client.get(path).content.decode()

    listed = re.findall(r'<tr data-cookie="([^"]+)">', body)
    assert listed == list(REGISTRY)
    login_row = re.search(r'<tr data-cookie="cm_form_login">(.*?)</tr>', body, re.S)
    register_row = re.search(r'<tr data-cookie="cm_form_register">(.*?)</tr>', body, re.S)
    assert login_row and lifetimes[0] in login_row.group(1)
    assert register_row and lifetimes[1] in register_row.group(1)


@pytest.mark.django_db
def test_ck9_a_changed_lifetime_shows_on_the_policy_page(client: Client, settings) -> None:
    settings.FORM_COOKIE_LIFETIMES = {**settings.FORM_COOKIE_LIFETIMES, "login": 2 * 86400}

    body = client.get("/legal/cookies/").content.decode()

    row = re.search(r'<tr data-cookie="cm_form_login">(.*?)</tr>', body, re.S)
    assert row and "2 jours" in row.group(1)
