"""Hostile or odd requests get a clear, harmless answer (TR-7)."""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path

from conftest import log_in_client

pytestmark = pytest.mark.django_db


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the failure a member runs into")


urlpatterns = [path("boom/", _boom)]
handler500 = "cloudmentor.core.views.server_error"


@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE", "PATCH", "CONNECT", "PROPFIND"])
@pytest.mark.parametrize("url", ["/", "/contact/", "/accounts/login/", "/courses/"])
def test_tr7_methods_the_site_does_not_use_are_refused_with_405(client: Client, method: str, url: str) -> None:
    """TRACE and the like never reach a view: 405 with the methods the site answers."""
    response = client.generic(method, url)

    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_tr7_a_server_error_shows_a_reference_that_the_log_holds_with_its_cause(
    settings: object, caplog: pytest.LogCaptureFixture
) -> None:
    """A member can quote the reference to support; staff find the traceback by it."""
    settings.ROOT_URLCONF = __name__  # type: ignore[attr-defined]  # pytest-django's settings proxy
    client = Client(raise_request_exception=False)

    with caplog.at_level(logging.ERROR):
        response = client.get("/boom/")

    assert response.status_code == 500
    reference = re.search(r'<code id="error-reference">([0-9a-f]{12})</code>', response.content.decode())
    assert reference is not None
    logged = [record for record in caplog.records if reference.group(1) in record.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "the failure a member runs into" in str(logged[0].exc_info[1])


def test_tr7_a_members_pages_are_never_kept_by_a_shared_cache() -> None:
    """Every page served to a logged-in member says private, no-store; visitors' pages stay cacheable."""
    user = get_user_model().objects.create_user(username="reader", email="reader@example.org", password="x" * 16)
    member = log_in_client(Client(), user)

    for url in ("/", "/courses/", "/account/", "/legal/cookies/"):
        response = member.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"], url

    visitor = Client().get("/courses/")
    assert "no-store" not in visitor.get("Cache-Control", "")
