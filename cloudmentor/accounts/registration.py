"""The registration steps every page that creates an account shares (accounts, billing's subscribe page).

Public to the apps above accounts: a page that registers someone throttles the attempt
and builds the registration services' arguments here, as the accounts' own page does.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import get_language

from cloudmentor.core.http import client_ip, user_agent_of
from cloudmentor.core.throttle import throttle_request

# A registration form that takes an existing account's password (billing's extension of
# one's own account) is throttled as the login form is (TM-9).
from .limits import login_limits as login_limits
from .limits import register_limits
from .selectors import terms_version_current


def registration_throttled(request: HttpRequest) -> HttpResponse | None:
    """Count a registration attempt from this address; the 429 page once past the limit (TM-9)."""
    return throttle_request(request, *register_limits(ip=client_ip(request)))


def registration_arguments(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """What every registration service takes from a valid registration form and its request."""
    return {
        "username": data["username"],
        "email": data["email"],
        "password": data["password"],
        "terms_version": terms_version_current(),
        "newsletter_opt_in": data["newsletter_opt_in"],
        "language": get_language() or settings.LANGUAGE_CODE,
        "ip": client_ip(request),
        "user_agent": user_agent_of(request),
    }
