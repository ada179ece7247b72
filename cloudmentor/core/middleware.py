"""Middleware of the platform's foundation."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from http.cookies import Morsel

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponseBase, HttpResponseNotAllowed

from . import crypto
from .account_cookie import account_cookie_present
from .cookies import REGISTRY
from .requests import annotated

logger = logging.getLogger(__name__)


class CookieEncryptionMiddleware:
    """Seal every outgoing cookie and unseal every incoming one (CK-1).

    Stands outermost, so every other layer only ever sees plaintext values. A cookie that
    is not in the registry, or fails to decrypt (tampered, truncated, foreign, expired),
    is dropped and the request goes on as if it was never sent. A cookie that is not in
    the registry is never sent: the set of cookies is closed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # Whether the browser sent any cookie at all: forms use it to tell a user whose
        # browser refuses cookies why the form cannot work (CK-8).
        annotated(request).browser_sent_cookies = bool(request.META.get("HTTP_COOKIE"))
        request.COOKIES = self._open(request.COOKIES)
        response = self.get_response(request)
        self._seal(response)
        return response

    @staticmethod
    def _open(cookies: dict[str, str]) -> dict[str, str]:
        opened: dict[str, str] = {}
        for name, token in cookies.items():
            if name not in REGISTRY:
                continue
            value = crypto.unseal(name, token)
            if isinstance(value, str):
                opened[name] = value
        return opened

    @staticmethod
    def _seal(response: HttpResponseBase) -> None:
        for name, morsel in list(response.cookies.items()):
            spec = REGISTRY.get(name)
            if spec is None:
                del response.cookies[name]
                message = f"Refused to set cookie {name!r}: it is not in the cookie registry."
                if settings.DEBUG or settings.TESTING:
                    raise ImproperlyConfigured(message)
                logger.error(message)
                continue
            morsel["httponly"] = True
            morsel["samesite"] = spec.same_site
            morsel["secure"] = bool(settings.COOKIES_SECURE)
            morsel["path"] = "/"
            if name.startswith("__Host-"):
                morsel["domain"] = ""  # a `__Host-` cookie is host-only, or the browser drops it
            if _is_deletion(morsel):
                morsel.set(name, "", '""')
                continue
            # URL-safe base64: needs no quoting, so the coded value is the value itself.
            sealed = crypto.seal(name, morsel.value, expires_at=_expiry(morsel))
            morsel.set(name, sealed, sealed)


def _is_deletion(morsel: Morsel[str]) -> bool:
    max_age = morsel["max-age"]
    return str(max_age) == "0" or str(morsel["expires"]).startswith("Thu, 01 Jan 1970")


def _expiry(morsel: Morsel[str]) -> float | None:
    """Return when the cookie expires (epoch seconds), or None for a browser-session cookie."""
    max_age = morsel["max-age"]
    if max_age not in ("", None):
        return time.time() + int(max_age)
    expires = morsel["expires"]
    if expires:
        return parsedate_to_datetime(str(expires)).timestamp()
    return None


# The methods the site answers; anything else (TRACE, PUT, WebDAV…) never reaches a view.
ALLOWED_METHODS = ("GET", "HEAD", "POST", "OPTIONS")
# Machine APIs (SCIM, RFC 7644) also take these, under the path prefixes their app adds in ready().
API_METHODS = ("PUT", "PATCH", "DELETE")
API_PREFIXES: list[str] = []


class MethodAllowedMiddleware:
    """Refuse the HTTP methods no page uses with 405 and the list of those it does (TR-7)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in ALLOWED_METHODS and not (
            request.method in API_METHODS and request.path.startswith(tuple(API_PREFIXES))
        ):
            return HttpResponseNotAllowed(ALLOWED_METHODS)
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Mark every response to a request that carries the account cookie ``private, no-store`` (TR-7).

    A member's pages show their name, progress and forms: no proxy or browser cache may keep
    them. Responses that already say how to cache them (``never_cache``, files) are left as
    they are; visitors, who send no account cookie, keep cacheable pages.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not response.has_header("Cache-Control") and account_cookie_present(request):
            response["Cache-Control"] = "private, no-store"
        return response
