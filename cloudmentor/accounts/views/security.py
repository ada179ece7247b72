"""The « Ce n'était pas moi » link of the security emails, used logged out (TR-4, PV-14)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cloudmentor.core.http import client_ip
from cloudmentor.core.throttle import throttle_request

from .. import services
from ..exceptions import SecurityLinkExpired, SecurityLinkInvalid, SecurityLinkUsed
from ..limits import recovery_ip_limits

TEMPLATE = "accounts/security_report.html"


# No CSRF token and no form cookie: the link's own secret token, which a forged request
# cannot know, is what authorises the POST (docs/decisions/0101).
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def security_report(request: HttpRequest, token: str) -> HttpResponse:
    """GET explains what the link does and changes nothing (mail scanners open links); POST does it."""
    if request.method == "POST":
        refused = throttle_request(request, *recovery_ip_limits(ip=client_ip(request)))
        if refused is not None:
            return refused
    try:
        if request.method != "POST":
            notice = services.security_notice_for_link(token)
            return render(request, TEMPLATE, {"state": "confirm", "notice": notice})
        outcome = services.security_report(token=token, ip=client_ip(request))
    except SecurityLinkInvalid:
        return render(request, TEMPLATE, {"state": "invalid"}, status=400)
    except SecurityLinkExpired:
        return render(request, TEMPLATE, {"state": "expired"}, status=400)
    except SecurityLinkUsed as used:
        return render(request, TEMPLATE, {"state": "used", "used_at": used.used_at}, status=410)
    return render(request, TEMPLATE, {"state": "done", "outcome": outcome})
