"""No live link in the application log (TR-3): `core.logging.RedactSecrets` on every handler."""

from __future__ import annotations

import copy
import io
import logging
import logging.config
import re
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from cloudmentor.core.logging import RedactSecrets, redact_paths
from cloudmentor.core.redaction import redact_path

TOKEN = "MQ.c4x5kz-0f1e2d3c4b5a69788796a5b4c3d2e1f0"


@pytest.fixture
def console(settings: Any) -> Iterator[io.StringIO]:
    """Configure logging as ``settings.LOGGING`` says (every logger, filter and handler), the console into a buffer."""
    stream = io.StringIO()
    config = copy.deepcopy(settings.LOGGING)
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        yield stream
    finally:
        logging.config.dictConfig(settings.LOGGING)


def test_tr3_every_handler_of_the_project_redacts_secrets(settings: Any) -> None:
    handlers = settings.LOGGING["handlers"]
    for name in ("console", "file"):
        if handlers[name]["class"] != "logging.NullHandler":
            assert "redact_secrets" in handlers[name]["filters"], name


@pytest.mark.django_db
def test_tr3_a_404_on_a_token_url_logs_a_redacted_path(console: io.StringIO) -> None:
    """Django's "Not Found: <path>" warning names the route, never the token."""
    response = Client().get(f"/accounts/password/reset/{TOKEN}/extra/")
    assert response.status_code == 404
    Client().get(f"/en/newsletter/unsubscribe/{TOKEN}/?email=alice@example.org")

    err = console.getvalue()
    assert "Not Found: /accounts/password/reset/[…]/[…]/" in err
    assert "/en/newsletter/unsubscribe/[…]/" in err
    assert TOKEN not in err and "alice@example.org" not in err


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (f"Not Found: /groups/join/{'ab12' * 16}/", "Not Found: /groups/join/[…]/"),
        (
            f'"GET /en/account/email/confirm/{TOKEN}/?next=/x HTTP/1.1" 400 12',
            '"GET /en/account/email/confirm/[…]/?next=/x HTTP/1.1" 400 12',
        ),
        (
            f"see https://cloudmentor.example/accounts/not-me/{TOKEN}/ now",
            "see https://cloudmentor.example/accounts/not-me/[…]/ now",
        ),
        ("Email 3 not sent (attempt 1): Connection refused", "Email 3 not sent (attempt 1): Connection refused"),
        ("GET /courses/kubernetes-basics/pods/ took 12 ms", "GET /courses/kubernetes-basics/pods/ took 12 ms"),
    ],
)
def test_tr3_paths_in_a_message_lose_their_secrets_only(message: str, expected: str) -> None:
    assert redact_paths(message) == expected


def test_tr3_the_filter_formats_the_record_then_redacts_it_and_keeps_it() -> None:
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (f"/reset/{TOKEN}/",), None
    )

    assert RedactSecrets().filter(record) is True
    assert record.getMessage() == "Not Found: /reset/[…]/"


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def test_tr3_every_token_route_is_redacted_whatever_the_token_looks_like() -> None:
    """A route with a ``token`` parameter is known to the rules by its path, not only by its token's shape."""
    token_routes = [route for route in _routes(get_resolver().url_patterns) if re.search(r"<(?:\w+:)?token>", route)]
    assert len(token_routes) >= 5

    for route in token_routes:
        path = "/" + re.sub(r"<(?:\w+:)?token>", "abc", re.sub(r"<(?:\w+:)?(?!token>)\w+>", "x", route))
        assert "/abc" not in redact_path(path), route
        assert "abc" not in redact_paths(f"Not Found: {path}"), route


def test_tr3_a_traceback_quoting_a_token_url_is_redacted() -> None:
    try:
        raise ValueError(f"cannot open https://cloudmentor.example/accounts/password/reset/{TOKEN}/")
    except ValueError:
        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error", (), sys.exc_info()
        )

    RedactSecrets().filter(record)

    printed = logging.Formatter().format(record)
    assert "ValueError: cannot open https://cloudmentor.example/accounts/password/reset/[…]/" in printed
    assert TOKEN not in printed
