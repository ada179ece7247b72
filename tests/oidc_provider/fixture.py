"""The `oidc_provider` fixture: the tests' real OpenID Provider, in its own process (ID-1).

Import it into a conftest (``from tests.oidc_provider.fixture import oidc_provider``). It
starts once per test session: a throwaway directory (SQLite database, RS256 key, people),
``migrate``, then gunicorn on a free 127.0.0.1 port; it is stopped at the end. Besides the
issuer, it offers what a test needs to arrange and to act as the person in the browser:
``client(...)``, ``person(...)``, ``fault(...)`` and ``sign_in(authorize_url, ...)``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests

from conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class OidcProvider:
    base_url: str

    @property
    def issuer(self) -> str:
        return f"{self.base_url}/o"

    def _post(self, path: str, data: dict[str, object]) -> dict[str, object]:
        response = requests.post(f"{self.base_url}{path}", json=data, timeout=10)
        response.raise_for_status()
        result: dict[str, object] = response.json()
        return result

    def client(
        self,
        client_id: str,
        client_secret: str,
        redirect_uris: list[str],
        post_logout_redirect_uris: tuple[str, ...] = (),
    ) -> None:
        """Register (or register again) a confidential client of the authorization code flow."""
        self._post(
            "/test/client/",
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "redirect_uris": redirect_uris,
                "post_logout_redirect_uris": list(post_logout_redirect_uris),
            },
        )

    def person(self, username: str, password: str, email: str, *, email_verified: bool = True, name: str = "") -> str:
        """Create (or update) a person who can sign in at the provider; return their subject (`sub`)."""
        answer = self._post(
            "/test/person/",
            {
                "username": username,
                "password": password,
                "email": email,
                "email_verified": email_verified,
                "name": name,
            },
        )
        return str(answer["sub"])

    def fault(self, name: str) -> None:
        """Spoil the next ID token: tampered, audience, expired, nonce, issuer ('' for none)."""
        self._post("/test/fault/", {"fault": name})

    def sign_in(self, authorize_url: str, username: str, password: str) -> str:
        """Act as the person's browser at the provider; return where it sends them back (our callback)."""
        browser = requests.Session()
        url = authorize_url
        for _hop in range(10):
            if not url.startswith(self.base_url):
                return url
            response = browser.get(url, allow_redirects=False, timeout=10)
            if response.status_code in (301, 302, 303):
                url = urljoin(url, response.headers["Location"])
                continue
            match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text)
            if response.status_code != 200 or match is None:
                raise AssertionError(f"unexpected provider page {url}: {response.status_code} {response.text[:500]}")
            next_match = re.search(r'name="next" value="([^"]*)"', response.text)
            response = browser.post(
                url,
                data={
                    "csrfmiddlewaretoken": match.group(1),
                    "username": username,
                    "password": password,
                    "next": next_match.group(1).replace("&amp;", "&") if next_match else "",
                },
                headers={"Referer": url},
                allow_redirects=False,
                timeout=10,
            )
            if response.status_code != 302:
                raise AssertionError(f"the provider refused the sign-in: {response.status_code}")
            url = urljoin(url, response.headers["Location"])
        raise AssertionError("too many redirects at the provider")


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the OpenID Provider stopped: {log.read_text()[-2000:]}")
        try:
            if requests.get(f"{base_url}/o/.well-known/openid-configuration", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or still loading Django
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the OpenID Provider did not start: {log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[OidcProvider]:
    directory = Path(tempfile.mkdtemp(prefix="oidc-provider-"))
    env = {**os.environ, "PROVIDER_DIR": str(directory), "PYTHONPATH": str(ROOT)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run(
        [sys.executable, str(ROOT / "tests/oidc_provider/manage.py"), "migrate", "--verbosity", "0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = directory / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "tests.oidc_provider.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--timeout",
                "60",
            ],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(base_url, process, log)
        yield OidcProvider(base_url=base_url)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
