from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


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
    # Rendered without a request context: the failing request may be what broke.
    from django.template import loader

    body = loader.get_template("500.html").render()
    return HttpResponse(body, status=500)
