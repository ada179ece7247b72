"""The account cookie's value: an envelope around the session key (CK-4).

``cm_account`` holds ``{"k": session key, "u": username, "e": email}`` as JSON. The
CookieEncryptionMiddleware seals it on the way out and unseals it on the way in, so the
layers after it read this plain envelope. accounts' session middleware packs and opens it;
a layer that stands before the session is loaded and only needs to know whether the
request carries one (maintenance) asks `account_cookie_present`.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest


def envelope_pack(*, session_key: str, username: str = "", email: str = "") -> str:
    payload: dict[str, str] = {"k": session_key}
    if username:
        payload["u"] = username
        payload["e"] = email
    return json.dumps(payload, separators=(",", ":"))


def envelope_unpack(raw: str | None) -> dict[str, str]:
    """Return the envelope's fields, or {} when the value is not an envelope."""
    if not raw:
        return {}
    try:
        payload = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(payload, dict) or not isinstance(payload.get("k"), str):
        return {}
    return {key: str(value) for key, value in payload.items() if key in {"k", "u", "e"}}


def account_cookie_present(request: HttpRequest) -> bool:
    """Return whether the request carries a well-formed account cookie (its session may be gone)."""
    return bool(envelope_unpack(request.COOKIES.get(settings.SESSION_COOKIE_NAME)))
