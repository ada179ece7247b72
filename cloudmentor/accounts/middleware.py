"""Session middleware: the account cookie carries an envelope, not a bare session key (CK-4).

Replaces ``django.contrib.sessions.middleware.SessionMiddleware`` in settings. The
``cm_account`` value is ``{"k": session key, "u": username, "e": email}`` (packed and
opened by `core.account_cookie`); the outer CookieEncryptionMiddleware seals it, so no
reader of the cookie sees any of it. Only the session key is trusted on the way in: a
revoked or expired session is no session.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from cloudmentor.core.account_cookie import envelope_pack, envelope_unpack
from cloudmentor.core.http import client_ip, user_agent_of
from cloudmentor.core.requests import annotated

from .models import AccountSession
from .services import EXPIRY_BASIS_KEY, expiry_basis, session_expiry_apply


class AccountSessionMiddleware(SessionMiddleware):
    def process_request(self, request: HttpRequest) -> None:
        envelope = envelope_unpack(request.COOKIES.get(settings.SESSION_COOKIE_NAME))
        annotated(request).account_envelope = envelope
        session: Any = self.SessionStore(envelope.get("k"))
        session.client_ip = client_ip(request)
        session.client_user_agent = user_agent_of(request)
        request.session = session

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        session = getattr(request, "session", None)
        user = _loaded_user(request)
        if session is not None and user is not None and user.is_authenticated and session.session_key:
            _refresh(request, session, user)
        response = super().process_response(request, response)
        name = settings.SESSION_COOKIE_NAME
        morsel = response.cookies.get(name)
        if morsel is not None and morsel.value and session is not None and morsel.value == session.session_key:
            username = user.get_username() if user is not None and user.is_authenticated else ""
            email = getattr(user, "email", "") if username else ""
            value = envelope_pack(session_key=session.session_key, username=username, email=email)
            morsel.set(name, value, value)
        return response


def _loaded_user(request: HttpRequest) -> Any:
    """Return the request's user if the request looked at it, without loading it otherwise."""
    if hasattr(request, "_cached_user"):
        return request._cached_user
    if hasattr(request, "user") and request.session.session_key:
        return request.user
    return None


def _refresh(request: HttpRequest, session: Any, user: Any) -> None:
    """Keep cookie and row in step with the account: envelope, expiry, last seen."""
    envelope: dict[str, str] = getattr(request, "account_envelope", {})
    if envelope and (envelope.get("u") != user.get_username() or envelope.get("e") != user.email):
        session.modified = True  # re-send the cookie with the new username or email
    if session.get(EXPIRY_BASIS_KEY) != expiry_basis(user):
        session_expiry_apply(session=session, user=user)
    # Record activity at most once per interval per session: one cache hit per request.
    interval = int(settings.ACCOUNTS_SESSION_TOUCH_SECONDS)
    if not session.modified and cache.add(f"cm:seen:{session.session_key}", 1, interval):
        AccountSession.objects.filter(session_key=session.session_key).update(
            last_seen_at=timezone.now(), ip=session.client_ip
        )
