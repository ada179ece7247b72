"""PV-5: secrets and control characters never reach the request log."""

from __future__ import annotations

import pytest
from django.test import Client

from cloudmentor.core.redaction import REDACTED, escape_unprintable, redact_path, redact_query

from .conftest import records

pytestmark = pytest.mark.django_db

RESET_TOKEN = "c4x5kz-1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/accounts/password/reset/{RESET_TOKEN}/", f"/accounts/password/reset/{REDACTED}/"),
        ("/en/accounts/password/reset/MQ/set-password/", f"/en/accounts/password/reset/{REDACTED}/{REDACTED}/"),
        ("/account/email/confirm/abc/", f"/account/email/confirm/{REDACTED}/"),
        ("/groups/invitations/Zm9vYmFy/accept/", f"/groups/invitations/{REDACTED}/{REDACTED}/"),
        ("/newsletter/unsubscribe/short/", f"/newsletter/unsubscribe/{REDACTED}/"),
        ("/newsletter/desinscription/x1/", f"/newsletter/desinscription/{REDACTED}/"),
        # A token anywhere, even after no telling word (a signed value, a random id).
        ("/download/eyJ1c2VyIjo0Mn0:1tAbCd:9fJ3kLmN0pQrStUvWxYz012/", f"/download/{REDACTED}/"),
        ("/x/Q2hhbmdlTWVQbGVhc2VUaGlzSXNBVG9rZW4xMjM0NTY3/", f"/x/{REDACTED}/"),
    ],
)
def test_pv5_token_paths_are_redacted(path: str, expected: str) -> None:
    assert redact_path(path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/en/legal/privacy/",
        "/courses/kubernetes-for-beginners-2024/lessons/pods-and-deployments/",
        "/courses/aws-solutions-architect-associate-saa-c03/",
        "/staff/accounts/user/42/change/",
        "/monkey-business/keyboard/",
    ],
)
def test_pv5_ordinary_paths_stay_readable(path: str) -> None:
    assert redact_path(path) == path


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("token=abc&page=2", f"token={REDACTED}&page=2"),
        ("email=alice%40example.org&utm_source=news", f"email={REDACTED}&utm_source=news"),
        ("api_key=k&access_token=t&password=p", f"api_key={REDACTED}&access_token={REDACTED}&password={REDACTED}"),
        ("code=123456&state=xyz", f"code={REDACTED}&state={REDACTED}"),
        (f"next=/accounts/password/reset/{RESET_TOKEN}/", f"next=/accounts/password/reset/{REDACTED}/"),
        (f"next=%2Faccounts%2Fpassword%2Freset%2F{RESET_TOKEN}%2F", f"next=/accounts/password/reset/{REDACTED}/"),
        ("q=kubernetes&author=jane&sort=-date", "q=kubernetes&author=jane&sort=-date"),
        ("ref=Q2hhbmdlTWVQbGVhc2VUaGlzSXNBVG9rZW4xMjM0NTY3", f"ref={REDACTED}"),
        ("flag&x=", "flag&x="),
    ],
)
def test_pv5_sensitive_query_parameters_are_redacted(query: str, expected: str) -> None:
    assert redact_query(query) == expected


def test_pv5_control_characters_are_escaped() -> None:
    assert escape_unprintable("/a\nb\r\x1b[31m\u202e\u2028") == "/a\\x0ab\\x0d\\x1b[31m\\u202e\\u2028"
    assert escape_unprintable("/cours/été/") == "/cours/été/"


def test_pv5_a_password_reset_link_leaves_no_token_in_the_log(client: Client) -> None:
    """The real reset page: its token never reaches the spool or the database."""
    client.get(f"/accounts/password/reset/{RESET_TOKEN}/?email=alice%40example.org")

    [record] = records()
    assert RESET_TOKEN not in record.path and "alice" not in record.query
    assert record.path == f"/accounts/password/reset/{REDACTED}/"
    assert record.query == f"email={REDACTED}"


def test_pv5_the_spool_itself_never_holds_the_secret(client: Client, spool_dir: object) -> None:
    from pathlib import Path

    client.get(f"/accounts/password/reset/{RESET_TOKEN}/?token=s3cr3t")

    content = b"".join(path.read_bytes() for path in Path(str(spool_dir)).glob("*.spool"))
    assert RESET_TOKEN.encode() not in content
    assert b"s3cr3t" not in content


def test_pv5_forged_log_lines_are_escaped_in_path_query_and_user_agent(client: Client) -> None:
    """A request carrying newlines and terminal escapes cannot forge a line or a report."""
    client.get("/search%0A200%20GET%20/admin/", {"q": "a\r\nb"}, HTTP_USER_AGENT="Evil\r\nX-Injected: 1\x1b[2J")

    [record] = records()
    assert "\n" not in record.path and record.path.startswith("/search\\x0a200")
    assert "\r" not in record.query and "\n" not in record.query
    assert record.status == 404
