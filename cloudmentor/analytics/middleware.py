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
from collections.abc import Callable
from time import perf_counter_ns, time_ns
from typing import Any

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import SimpleLazyObject, empty

from cloudmentor.core.http import client_ip
from cloudmentor.core.redaction import escape_unprintable, redact_path, redact_query

from . import spool

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
        started_at = time_ns()
        started = perf_counter_ns()
        response = self.get_response(request)
        path = request.path
        if path.startswith(self.static_prefix):
            return response
        try:
            # One function, no allocation it can avoid: this runs on every request (~5 µs).
            duration = (perf_counter_ns() - started) // 1000
            meta = request.META
            # Without trusted proxies the client is the socket's peer: no header to parse.
            address = client_ip(request) if spool.cached_setting("TRUSTED_PROXIES") else meta.get("REMOTE_ADDR", "")
            method = request.method or ""
            path = redact_path(path)
            query = meta.get("QUERY_STRING", "")
            if query:
                query = redact_query(query)
            agent = meta.get("HTTP_USER_AGENT", "")
            if not (
                address.isprintable()
                and path.isprintable()
                and agent.isprintable()
                and query.isprintable()
                and method.isprintable()
            ):
                address, method, path, query, agent = map(escape_unprintable, (address, method, path, query, agent))
            spool.writer.append(
                spool.encode_fields(
                    started_at // 1000,
                    address[:64],
                    method[:10],
                    path[:PATH_MAX_LENGTH],
                    query[:QUERY_MAX_LENGTH],
                    agent[:USER_AGENT_MAX_LENGTH],
                    _user_id(request),
                    response.status_code,
                    duration,
                )
            )
        except Exception:  # logging must never break a response
            logger.exception("Could not record the request in the spool")
        return response


def _user_id(request: HttpRequest) -> int | None:
    """Return the id of the logged-in user without loading a visitor's session."""
    user: Any = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:  # type: ignore[attr-defined]  # LazyObject's internals are not in the stubs
        # The view never looked at the user. Only a request carrying the account cookie
        # can belong to a member: open its session now (the response is already built).
        if spool.cached_setting("SESSION_COOKIE_NAME") not in request.COOKIES:
            return None
        try:
            user._setup()  # type: ignore[attr-defined]  # LazyObject's internals are not in the stubs
        except Exception:  # noqa: BLE001 - a broken session is an anonymous request
            return None
    if not getattr(user, "is_authenticated", False):
        return None
    return int(user.pk)
