"""The cookies a browser keeps, from a response's Set-Cookie headers (the mixed workload's members).

Kept apart from the locust file, which imports gevent, so that the suite can test it.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from http.cookies import CookieError, SimpleCookie


def remember_cookies(cookies: dict[str, str], set_cookie_headers: list[str]) -> None:
    """Update `cookies` (name → value) as a browser would: store each cookie set, drop each one expired.

    A cookie is expired when its Max-Age is zero or negative or its Expires date is in the past;
    a Max-Age such as 2591970 (30 days less 30 s) is not.
    """
    for header in set_cookie_headers:
        parsed: SimpleCookie = SimpleCookie()
        try:
            parsed.load(header)
        except CookieError:
            continue
        for name, morsel in parsed.items():
            if _expired(morsel["max-age"], morsel["expires"]) or morsel.value in ("", '""'):
                cookies.pop(name, None)
            else:
                cookies[name] = morsel.value


def _expired(max_age: str, expires: str) -> bool:
    if max_age not in ("", None):
        try:
            return int(max_age) <= 0
        except ValueError:
            return False
    if expires:
        try:
            return parsedate_to_datetime(expires).timestamp() <= 0 or parsedate_to_datetime(expires).year < 2000
        except (TypeError, ValueError):
            return False
    return False
