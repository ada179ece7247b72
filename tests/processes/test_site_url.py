"""SC-6: absolute links (emails, the certificate PDF) use the address the site is served at."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core import mail

from cloudmentor.accounts import services as accounts_services
from cloudmentor.learning import services as learning_services
from cloudmentor.learning.tests.factories import CourseFactory, UserFactory

BASE_DIR = Path(django_settings.BASE_DIR)


def _site_url(tmp_path: Path, **environ: str) -> subprocess.CompletedProcess[str]:
    """Start Django's settings the way a process of `make run` does, with `environ`, and print SITE_URL."""
    env = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "HOST", "PORT", "CLOUDMENTOR_ENV"}}
    env.update({"DJANGO_SETTINGS_MODULE": "cloudmentor.settings", "CLOUDMENTOR_VAR_DIR": str(tmp_path), **environ})
    code = "import django; django.setup(); from django.conf import settings; print(settings.SITE_URL)"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_sc6_site_url_defaults_to_the_host_and_port_make_run_serves(tmp_path: Path) -> None:
    assert _site_url(tmp_path).stdout.strip() == "http://127.0.0.1:8000"
    assert _site_url(tmp_path, PORT="9000").stdout.strip() == "http://127.0.0.1:9000"
    assert _site_url(tmp_path, HOST="0.0.0.0", PORT="9000").stdout.strip() == "http://127.0.0.1:9000"
    assert _site_url(tmp_path, HOST="localhost", PORT="9001").stdout.strip() == "http://localhost:9001"
    # An explicit SITE_URL (behind a proxy) wins.
    assert _site_url(tmp_path, PORT="9000", SITE_URL="https://learn.example/").stdout.strip() == "https://learn.example"


def test_sc6_production_refuses_to_start_without_site_url(tmp_path: Path) -> None:
    secrets = {"CLOUDMENTOR_ENV": "production", "SECRET_KEY": "x" * 50, "COOKIE_KEYS": "k" * 43, "PORT": "9000"}

    refused = _site_url(tmp_path, **secrets)
    started = _site_url(tmp_path, **secrets, SITE_URL="https://learn.example")

    assert refused.returncode != 0 and "Set the SITE_URL environment variable" in refused.stderr
    assert started.returncode == 0 and started.stdout.strip() == "https://learn.example"


@pytest.mark.django_db
def test_sc6_with_port_9000_email_links_and_the_certificate_pdf_use_9000(
    tmp_path: Path, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.SITE_URL = _site_url(tmp_path, PORT="9000").stdout.strip()
    settings.MEDIA_ROOT = tmp_path / "media"
    user = UserFactory(email="alice@example.com", first_name="Alice", last_name="Martin", language="fr")

    with django_capture_on_commit_callbacks(execute=True):
        accounts_services.password_recovery_request(user=user, language="fr")
    certificate = learning_services.certificate_issue(user=user, course=CourseFactory(title="Kubernetes"))

    links = re.findall(r"https?://[^\s\"<>]+", mail.outbox[-1].body)
    assert links and all(link.startswith("http://127.0.0.1:9000/") for link in links), links
    assert f"http://127.0.0.1:9000/certificates/{certificate.code}/" in _pdf_text(bytes(certificate.pdf))


def _pdf_text(data: bytes) -> str:
    """The literal strings a reportlab PDF draws (its page streams are ASCII85 + Flate)."""
    import base64
    import zlib

    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        encoded = stream.strip().removesuffix(b"~>")
        try:
            chunks.append(zlib.decompress(base64.a85decode(encoded)))
        except (ValueError, zlib.error):
            chunks.append(stream)
    return " ".join(re.findall(r"\((.*?)(?<!\\)\)", b"".join(chunks).decode("latin-1"), re.S))
