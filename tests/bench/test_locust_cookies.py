"""The mixed workload's members keep cookies as a browser does (bench/locust/browser_cookies.py).

The first version dropped the account cookie whenever its Set-Cookie header contained "1970"
anywhere: a Max-Age of 2591970 (the 30-day cap less 30 s, re-sent 30 s after login) logged the
simulated member out, and the benchmark counted the platform's 403 as an error.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("browser_cookies", ROOT / "bench" / "locust" / "browser_cookies.py")
assert _spec is not None and _spec.loader is not None
browser_cookies = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(browser_cookies)


def test_an_account_cookie_with_1970_in_its_max_age_is_kept() -> None:
    cookies = {"cm_account": "old"}
    browser_cookies.remember_cookies(
        cookies,
        [
            "cm_account=new-value; expires=Tue, 05 Jan 2027 23:01:10 GMT; HttpOnly; Max-Age=2591970; Path=/; SameSite=Lax"
        ],
    )
    assert cookies == {"cm_account": "new-value"}


def test_a_deleted_cookie_is_dropped_and_others_are_kept() -> None:
    cookies = {"cm_form_login": "token", "cm_account": "kept"}
    browser_cookies.remember_cookies(
        cookies,
        ['cm_form_login=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Max-Age=0; Path=/; SameSite=Lax'],
    )
    assert cookies == {"cm_account": "kept"}


def test_a_new_cookie_is_stored() -> None:
    cookies: dict[str, str] = {}
    browser_cookies.remember_cookies(cookies, ["cm_form_login=abc_DEF-123; Max-Age=3600; Path=/"])
    assert cookies == {"cm_form_login": "abc_DEF-123"}
