from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.generic import FormView

from cloudmentor.core.formcookies import FormCookieMixin

from .forms import ContactForm
from .selectors import health_status
from .services import contact_message_create


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    status = health_status()
    healthy = status["database"] == "ok"
    return JsonResponse({"status": "ok" if healthy else "error", **status}, status=200 if healthy else 503)


class ContactView(FormCookieMixin, FormView):  # type: ignore[type-arg]
    form_class = ContactForm
    form_cookie = "contact"
    template_name = "operations/contact.html"

    def get_initial(self) -> dict[str, Any]:
        user = self.request.user
        if user.is_authenticated:
            return {"name": user.get_full_name() or user.get_username(), "email": user.email}
        return {}

    def form_valid(self, form: ContactForm) -> HttpResponse:
        contact_message_create(language=get_language(), **form.cleaned_data)
        if self.request.user.is_authenticated:
            messages.success(self.request, _("Merci, votre message a bien été envoyé."))
        return redirect(reverse("operations:contact_sent"))


def contact_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "operations/contact_sent.html", {"support_email": settings.SUPPORT_EMAIL})
