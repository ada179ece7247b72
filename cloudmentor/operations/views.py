from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView

from cloudmentor.core.formcookies import FormCookieMixin
from cloudmentor.core.http import client_ip
from cloudmentor.core.throttle import Limit, throttle_request

from .banner import maintenance_texts
from .forms import ContactForm
from .selectors import MaintenanceState, health_status
from .services import contact_message_create

# The 503 page leaves before the security middleware: it carries its own strict headers.
MAINTENANCE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def maintenance_page(request: HttpRequest, state: MaintenanceState) -> HttpResponse:
    """Answer 503 with the maintenance page, in the language of the path (`/en/…` English, else French).

    Rendered without the request (no context processor, no session, no query); `Retry-After`
    gives the seconds until the maintenance ends (TM-5).
    """
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    with translation.override(language):
        content = render_to_string(
            "operations/maintenance.html",
            {
                "language": language,
                "texts": maintenance_texts(state, language),
                "support_email": settings.SUPPORT_EMAIL,
            },
        )
    response = HttpResponse(content, status=503)
    response["Retry-After"] = str(state.retry_after())
    response["Content-Language"] = language
    for name, value in MAINTENANCE_HEADERS.items():
        response[name] = value
    # Expected answers, not server errors: Django's request logger would report each one.
    response._has_been_logged = True  # type: ignore[attr-defined]  # Django's log_response reads this private flag
    return response


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The load balancer's probe: 200 while the database answers, maintenance or not (docs/operations.md).

    « degraded » (still 200: the site serves) when the newest backup is too old or missing (TR-5).
    """
    status = health_status()
    healthy = status["database"] == "ok"
    backup_ok = status.get("backup", {}).get("status", "ok") == "ok"
    summary = "error" if not healthy else "ok" if backup_ok else "degraded"
    return JsonResponse({"status": summary, **status}, status=200 if healthy else 503)


def contact_limits(*, ip: str) -> tuple[Limit]:
    """Contact form submissions from one address (PV-15, SC-2)."""
    return (
        Limit(
            "contact-ip",
            ip,
            int(settings.OPERATIONS_CONTACT_MAX_PER_IP),
            int(settings.OPERATIONS_CONTACT_WINDOW_SECONDS),
        ),
    )


class ContactView(FormCookieMixin, FormView[ContactForm]):
    form_class = ContactForm
    form_cookie = "contact"
    template_name = "operations/contact.html"

    def get_initial(self) -> dict[str, Any]:
        user = self.request.user
        if user.is_authenticated:
            return {"name": user.get_full_name() or user.get_username(), "email": user.email}
        return {}

    def form_valid(self, form: ContactForm) -> HttpResponse:
        # Each message emails staff: a flood would spend the SMTP quota reset and invoice emails need.
        # Counted once the form cookie and the fields are valid (SC-2): only messages that would be sent.
        if refused := throttle_request(self.request, *contact_limits(ip=client_ip(self.request))):
            return refused
        contact_message_create(language=get_language(), **form.cleaned_data)
        if self.request.user.is_authenticated:
            messages.success(self.request, _("Merci, votre message a bien été envoyé."))
        return redirect(reverse("operations:contact_sent"))


def contact_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "operations/contact_sent.html", {"support_email": settings.SUPPORT_EMAIL})
