from __future__ import annotations

import logging
import secrets
import sys
from datetime import date

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


# The day the accessibility statement was last reviewed (LX-7); change it with the text.
ACCESSIBILITY_STATEMENT_DATE = date(2026, 12, 6)


def accessibility(request: HttpRequest) -> HttpResponse:
    """The accessibility statement (RGAA / WCAG 2.2 AA, European Accessibility Act), linked from every footer."""
    return render(
        request,
        "core/accessibility.html",
        {
            "statement_date": date_format(ACCESSIBILITY_STATEMENT_DATE, "DATE_FORMAT"),
            "contact_url": reverse("operations:contact"),
        },
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain a refused form in the user's language instead of Django's debug page."""
    return render(
        request,
        "core/error.html",
        {
            "title": _("Formulaire expiré"),
            "message": _(
                "Ce formulaire a expiré ou a été envoyé depuis une autre page. Rechargez la page et réessayez."
            ),
        },
        status=403,
    )


def _error(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "core/error.html", {"title": title, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Requête invalide"), _("La requête n'a pas pu être comprise."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("Accès refusé"), _("Vous n'avez pas accès à cette page."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("Page introuvable"), _("Cette page n'existe pas ou a été déplacée."))


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, with a reference the member can quote and the log holds with the cause (TR-7)."""
    # Rendered without a request context: the failing request may be what broke.
    from django.template import loader

    reference = secrets.token_hex(6)
    logger.error("Server error %s on %s %s", reference, request.method, request.path, exc_info=sys.exc_info())
    body = loader.get_template("500.html").render({"reference": reference, "support_email": settings.SUPPORT_EMAIL})
    return HttpResponse(body, status=500)
