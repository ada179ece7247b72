"""Fixtures shared by every app's tests."""

from __future__ import annotations

import functools
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection, connections
from django.test import Client

from cloudmentor.core import crypto
from cloudmentor.core.cookies import REGISTRY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class _Collector:
    messages: list[Message] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    host: str
    port: int
    collector: _Collector
    controller: Controller | None = None

    @property
    def messages(self) -> list[Message]:
        return self.collector.messages

    def wait_for(self, *, to: str | None = None, subject: str | None = None, timeout: float = 10.0) -> Message:
        """Return the first email received for `to` whose subject contains `subject`, waiting up to `timeout` s.

        The sending worker runs beside the test (browser journeys): the email may still be on its way.
        """
        deadline = time.monotonic() + timeout
        while True:
            for message in list(self.messages):
                recipients = [address.strip() for address in str(message["X-Envelope-To"]).split(",")]
                decoded = str(make_header(decode_header(str(message["Subject"]))))
                if (to is None or to in recipients) and (subject is None or subject in decoded):
                    return message
            if time.monotonic() > deadline:
                seen = [(m["X-Envelope-To"], m["Subject"]) for m in self.messages]
                raise AssertionError(f"no email to {to!r} about {subject!r}; received: {seen}")
            time.sleep(0.1)

    def start(self) -> None:
        self.controller = Controller(self.collector, hostname=self.host, port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpServer]:
    """Start a real SMTP server (aiosmtpd) on a free local port and send email through it."""
    server = SmtpServer(host="127.0.0.1", port=free_port(), collector=_Collector())
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield server
    server.stop()


def body_text(message: Message) -> str:
    """Return the plain-text part of an email, decoded."""
    part = next((p for p in message.walk() if p.get_content_type() == "text/plain"), message)
    payload = part.get_payload(decode=True)
    return payload.decode(part.get_content_charset() or "utf-8") if isinstance(payload, bytes) else str(payload)


def assert_cookies_sealed(response: Any) -> None:
    """Fail if a cookie is outside the registry or any value is readable (CK-1)."""
    for name, morsel in response.cookies.items():
        assert name in REGISTRY, f"cookie {name!r} is not in the registry"
        if morsel.value == "":
            continue  # a deletion
        wire = morsel.coded_value  # what the browser receives
        plaintext = crypto.unseal(name, wire)
        assert plaintext is not None, f"cookie {name!r} does not unseal"
        assert not set(wire) & set('{}"@ :,'), f"cookie {name!r} shows plaintext"
        assert str(plaintext)[:8] not in wire, f"cookie {name!r} shows its value"


_FORM_TOKEN = re.compile(r'name="form_token" value="([^"]+)"')
_CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def form_token(response: Any) -> str:
    """Return the id a visitor form carries for its form cookie (CK-2)."""
    match = _FORM_TOKEN.search(response.content.decode())
    assert match, "the page has no form_token field"
    return match.group(1)


def submit(client: Client, url: str, data: dict[str, Any], **extra: Any) -> Any:
    """Show a visitor form (getting its cookie), then post it as a browser would."""
    page = client.get(url, **extra)
    return client.post(url, {"form_token": form_token(page), **data}, **extra)


def csrf_post(client: Client, url: str, data: dict[str, Any] | None = None, *, page: str = "/", **extra: Any) -> Any:
    """Post as a logged-in browser would: with the CSRF token a page of the site carries."""
    match = _CSRF_TOKEN.search(client.get(page, **extra).content.decode())
    assert match, f"{page} carries no CSRF token"
    return client.post(url, {"csrfmiddlewaretoken": match.group(1), **(data or {})}, **extra)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Throttles, cached pages and renderings live in the cache: start every test clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Start every test in French, whatever language an earlier test left active."""
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def _every_cookie_is_sealed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Check every response of the whole suite: no cookie value decodes to plaintext."""
    original = Client.request

    def checked(self: Client, **request: Any) -> Any:
        response = original(self, **request)
        assert_cookies_sealed(response)
        return response

    monkeypatch.setattr(Client, "request", checked)


def log_in_client(client: Client, user: Any, *, remote_addr: str = "127.0.0.1") -> Client:
    """Log `user` in on a test client as the site does: a session row and a sealed envelope cookie.

    Django's ``client.force_login`` cannot work here: it sets a bare session key, which the
    cookie encryption middleware drops as foreign. Staff still need a TOTP code for /staff/.
    """
    from django.conf import settings
    from django.test import RequestFactory

    from cloudmentor.accounts.services import session_start
    from cloudmentor.accounts.sessions import SessionStore
    from cloudmentor.core.account_cookie import envelope_pack

    request = RequestFactory().get("/", REMOTE_ADDR=remote_addr)
    session = SessionStore()
    session.client_ip = remote_addr
    request.session = session
    session_start(request=request, user=user)
    value = envelope_pack(session_key=session.session_key or "", username=user.get_username(), email=user.email)
    expires_at = session.get_expiry_date().timestamp()
    client.cookies[settings.SESSION_COOKIE_NAME] = crypto.seal(
        settings.SESSION_COOKIE_NAME, value, expires_at=expires_at
    )
    return client


# Races (PostgreSQL) -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    """Skip tests marked `postgres_only` on SQLite: its in-memory test database serialises
    every writer, so no race can happen (run them with scripts/with-postgres.sh)."""
    if request.node.get_closest_marker("postgres_only") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the in-memory SQLite test database serialises every writer")


def race(workers: int, work: Callable[[int], Any]) -> list[Any]:
    """Run `work(n)` in `workers` threads released at the same instant; return results or errors."""
    start = threading.Barrier(workers)
    results: list[Any] = [None] * workers

    def body(n: int) -> None:
        start.wait()
        try:
            results[n] = work(n)
        except Exception as error:  # noqa: BLE001 - returned to the test, which asserts on it
            results[n] = error
        finally:
            connections.close_all()  # this thread's connection: the test database is dropped after

    threads = [threading.Thread(target=body, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


# The real production settings ---------------------------------------------------------------


def production_python(code: str) -> str:
    """Run `code` in a fresh interpreter that loads the production settings (`CLOUDMENTOR_ENV=production`,
    only the environment production requires) after `django.setup()`; return what it printed.

    A test that proves a production setting reads it this way, so that it proves what
    production runs rather than what the test sets (issue 11, item 11).
    """
    with tempfile.TemporaryDirectory(prefix="cloudmentor-production-") as var_dir:
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("CLOUDMENTOR_", "DJANGO_", "DATABASE_", "REDIS_", "EMAIL_", "COOKIE_", "SECRET_"))
        }
        environment.update(
            CLOUDMENTOR_ENV="production",
            DJANGO_SETTINGS_MODULE="cloudmentor.settings",
            CLOUDMENTOR_VAR_DIR=var_dir,
            SECRET_KEY="production-settings-test-" + "x" * 40,
            COOKIE_KEYS="a" * 43 + "=",
            SITE_URL="https://learn.example.org",
            ALLOWED_HOSTS="learn.example.org",
        )
        done = subprocess.run(
            [sys.executable, "-c", "import django\ndjango.setup()\n" + code],
            cwd=settings.BASE_DIR,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@functools.cache
def production_settings() -> dict[str, Any]:
    """Return every setting a production process loads (values that JSON cannot hold as text)."""
    printed = production_python(
        "import json\nfrom django.conf import settings\n"
        "print(json.dumps({n: getattr(settings, n) for n in dir(settings) if n.isupper()}, default=str))\n"
    )
    loaded: dict[str, Any] = json.loads(printed.strip().splitlines()[-1])
    return loaded
