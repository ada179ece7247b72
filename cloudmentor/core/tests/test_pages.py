from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from django.conf import settings
from django.test import Client

ROOT = Path(settings.BASE_DIR)


class _Links(HTMLParser):
    """Collect every URL a page loads or links to, and inline scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.links: list[str] = []
        self.inline_scripts = 0
        self.inline_styles = 0
        self._in_script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if "style" in values:
            self.inline_styles += 1
        if tag == "script":
            if values.get("src"):
                self.assets.append(values["src"] or "")
            elif values.get("type") != "application/json":
                self.inline_scripts += 1
        if tag in {"img", "iframe", "source", "video", "audio", "embed"} and values.get("src"):
            self.assets.append(values["src"] or "")
        if tag == "link" and values.get("href") and values.get("rel") in {"stylesheet", "icon", "preload", "manifest"}:
            self.assets.append(values["href"] or "")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        if tag == "form" and values.get("action"):
            self.assets.append(values["action"] or "")


def crawl(client: Client, start: list[str], limit: int = 200) -> dict[str, _Links]:
    """Visit every same-site page reachable from `start` by GET links."""
    seen: dict[str, _Links] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        response = client.get(path)
        assert response.status_code < 500, path
        assert response.status_code != 404, f"dead link: {path}"
        parser = _Links()
        if response.get("Content-Type", "").startswith("text/html"):
            parser.feed(response.content.decode())
        seen[path] = parser
        for href in parser.links:
            url = urlparse(urljoin("http://testserver" + path, href))
            if url.scheme in {"http", "https"} and url.netloc == "testserver" and not url.path.startswith("/static/"):
                queue.append(url.path)
    return seen


@pytest.mark.django_db
def test_pv6_no_page_loads_anything_from_a_third_party_origin(client: Client) -> None:
    """Every asset of every page reachable from the home pages is served by the platform itself."""
    pages = crawl(client, ["/", "/en/"])

    assert len(pages) >= 10
    for path, parser in pages.items():
        for asset in parser.assets:
            url = urlparse(asset)
            assert not url.netloc and url.scheme in {"", "data"}, f"{path} loads {asset}"


@pytest.mark.django_db
def test_pv6_every_page_has_no_inline_script_or_style_and_a_strict_csp(client: Client) -> None:
    """CSP forbids inline scripts; pages carry none, and forbid framing and third-party sources."""
    pages = crawl(client, ["/", "/en/"])
    for path, parser in pages.items():
        assert parser.inline_scripts == 0, path
        assert parser.inline_styles == 0, path
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_french_is_the_default_and_english_lives_under_en(client: Client) -> None:
    """The language comes from the URL, whatever the browser asks for, and sets no cookie."""
    french = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    english = client.get("/en/")

    assert '<html lang="fr">' in french.content.decode()
    assert "Faites progresser votre carrière" in french.content.decode()
    assert '<html lang="en">' in english.content.decode()
    assert 'href="/en/"' in french.content.decode()
    assert 'href="/"' in english.content.decode()
    assert not french.cookies and not english.cookies


@pytest.mark.django_db
def test_unknown_pages_answer_a_translated_404(client: Client) -> None:
    french = client.get("/nulle-part/")
    english = client.get("/en/nowhere/")

    assert french.status_code == 404 and "Page introuvable" in french.content.decode()
    assert english.status_code == 404 and "Page not found" in english.content.decode()


@pytest.mark.django_db
def test_healthz_reports_the_database_and_the_task_queue(client: Client) -> None:
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "task_queue_lag_seconds": 0.0,
        "maintenance": {"active": False},  # TM-5: operations/tests/test_maintenance.py
    }


def _production_env(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CLOUDMENTOR_"))}
    env.update(
        CLOUDMENTOR_ENV="production",
        CLOUDMENTOR_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="cloudmentor.settings",
        SECRET_KEY="x" * 64 + "production-secret-for-the-check-only",
        COOKIE_KEYS="key-one-for-the-check,key-two",
        ALLOWED_HOSTS="cloudmentor.example",
        SITE_URL="https://cloudmentor.example",  # required in production (SC-6)
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        # Production refuses to start without the seller's invoice details (BZ-3, billing.E001-E004).
        BILLING_SELLER_ADDRESS="1 rue de la Paix, 75002 Paris",
        BILLING_SELLER_SIRET="73282932000074",
    )
    return env


def test_pv12_production_settings_pass_check_deploy_with_no_warning(tmp_path: Path) -> None:
    """HTTPS redirect, HSTS, secure cookies: `check --deploy` is clean in production."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_pv12_production_refuses_to_start_without_secrets_from_the_environment(tmp_path: Path) -> None:
    """Secrets come only from the environment in production: no generated fallback."""
    env = _production_env(tmp_path)
    del env["SECRET_KEY"]

    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert not (tmp_path / "secrets.json").exists()


def test_pv13_production_sends_email_through_gmail_smtp_with_starttls_by_default(tmp_path: Path) -> None:
    env = {
        **_production_env(tmp_path),
        "EMAIL_HOST_USER": "cloudmentor.scale@gmail.com",
        "EMAIL_HOST_PASSWORD": "app-password",
    }
    script = (
        "from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_HOST_USER)"
    )

    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.gmail.com",
        "587",
        "True",
        "cloudmentor.scale@gmail.com",
    ], result.stderr


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout() -> None:
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20000
    assert re.search("journal_mode=WAL", settings.DATABASES["default"]["OPTIONS"]["init_command"])


@pytest.mark.django_db
def test_every_page_title_names_the_page_then_the_site(client: Client) -> None:
    """Browser tabs and bookmarks read « page · CloudMentor@Scale », in both languages."""
    pages = crawl(client, ["/", "/en/"])
    titles = {}
    for path in pages:
        response = client.get(path)
        if response.status_code == 200 and response.get("Content-Type", "").startswith("text/html"):
            match = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
            assert match, path
            titles[path] = match.group(1)
    assert len(titles) >= 10
    for path, title in titles.items():
        page_name, _, site = title.rpartition(" · ")
        assert site == "CloudMentor@Scale" and page_name.strip(), f"{path}: {title!r}"
