"""Record every request in the spool before its response leaves (PV-5).

Stands right inside ``CookieEncryptionMiddleware``, so it sees the final status of every
response the application produces, including redirects and errors answered by the
layers inside it. It sets no cookie and never loads a visitor's session: the user is
taken from what authentication already loaded, and a session is only opened after the
view when the request carried the account cookie and the view did not look at the user.
Parsing the user agent and writing the database happen later, at ingestion.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import SimpleLazyObject, empty

from cloudmentor.core.http import client_ip

from . import spool
from .redaction import escape_unprintable, redact_path, redact_query

logger = logging.getLogger(__name__)

PATH_MAX_LENGTH = 1024
QUERY_MAX_LENGTH = 1024
USER_AGENT_MAX_LENGTH = 512


class RequestLogMiddleware:
    """Append one spool line per request; static assets served by WhiteNoise are left out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        if not settings.ANALYTICS_ENABLED:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.static_prefix = settings.STATIC_URL or "/static/"

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started_at = time.time()
        started = time.perf_counter()
        response = self.get_response(request)
        path = request.path
        if not path.startswith(self.static_prefix):
            duration = round((time.perf_counter() - started) * 1_000_000)
            try:
                spool.writer.append(spool.encode(_fields(request, response, path, started_at, duration)))
            except Exception:  # logging must never break a response
                logger.exception("Could not record the request in the spool")
        return response


def _fields(request: HttpRequest, response: HttpResponseBase, path: str, started_at: float, duration: int) -> list[Any]:
    meta = request.META
    query = meta.get("QUERY_STRING", "")
    return [
        spool.FORMAT_VERSION,
        round(started_at, 6),
        client_ip(request),
        escape_unprintable(request.method or "")[:10],
        escape_unprintable(redact_path(path))[:PATH_MAX_LENGTH],
        escape_unprintable(redact_query(query))[:QUERY_MAX_LENGTH] if query else "",
        escape_unprintable(str(meta.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX_LENGTH]),
        _user_id(request),
        response.status_code,
        duration,
    ]


def _user_id(request: HttpRequest) -> int | None:
    """Return the id of the logged-in user without loading a visitor's session."""
    user: Any = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:  # type: ignore[attr-defined]
        # The view never looked at the user. Only a request carrying the account cookie
        # can belong to a member: open its session now (the response is already built).
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None
        try:
            user._setup()  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a broken session is an anonymous request
            return None
    if not getattr(user, "is_authenticated", False):
        return None
    return int(user.pk)
