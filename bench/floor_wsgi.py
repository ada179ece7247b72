"""The bench server: the platform, plus a framework-floor view on the same server.

`/__floor__` is a plain Django view behind no middleware and no URL resolution: the most
a Django process can serve on this machine, to compare real pages against.

`/__reference__?bytes=N` is a plain Django page of about N bytes: Django's default
middleware (startproject's list), URL resolution, one query, and a typical template (a
base layout, named-URL links, translated labels, one include per item) rendered per
request, with no cache. `bench/learning_pages.py` compares the lesson page against it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudmentor.settings")

from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.test.utils import override_settings
from django.urls import path

platform = get_wsgi_application()
FLOOR_BODY = ("<!DOCTYPE html><html><body>" + "<p>framework floor</p>" * 600 + "</body></html>").encode()


def floor_view(request: WSGIRequest) -> HttpResponse:
    return HttpResponse(FLOOR_BODY)


class FloorHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = floor_view


floor = FloorHandler()

DEFAULT_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
# A typical Django page: a base layout with named-URL navigation and translated labels,
# a child template, one `{% include %}` per item with a link, a date and a filter.
REFERENCE_TEMPLATES = {
    "reference/base.html": """{% load i18n %}<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>{% block title %}{% endblock %} · Référence</title></head><body><header><nav><ul>
{% for name in nav %}<li><a href="{% url name %}">{% translate "Rubrique" %} {{ forloop.counter }}</a></li>{% endfor %}
</ul></nav></header><main>{% block content %}{% endblock %}</main><footer><ul>
{% for name in nav %}<li><a href="{% url name %}">{% translate "Page" %} {{ name|title }}</a></li>{% endfor %}
</ul></footer></body></html>""",
    "reference/page.html": """{% extends "reference/base.html" %}{% load i18n %}
{% block title %}{{ title }}{% endblock %}{% block content %}<h1>{{ title }}</h1>
<section>{% for row in rows %}{% include "reference/item.html" %}{% endfor %}</section>{% endblock %}""",
    "reference/item.html": """{% load i18n %}<article class="item"><h2><a href="{% url "reference-item" row.pk %}">{{ row.app_label|title }} · {{ row.model }}</a></h2>
<p>{{ text|truncatewords:30 }}</p><p class="meta">{% translate "Mis à jour le" %} {{ now|date:"DATE_FORMAT" }}</p></article>
""",
}
_TEXT = "Une ligne de contenu ordinaire, rendue par le moteur de templates de Django comme une vraie page. " * 3
_engine: list[Any] = []


def reference_view(request: HttpRequest) -> HttpResponse:
    """A plain Django page of about `?bytes=` bytes: one query, templates rendered per request."""
    from django.contrib.contenttypes.models import ContentType
    from django.template import Engine, RequestContext
    from django.utils import timezone

    if not _engine:  # templates are parsed once, as Django's cached loader does
        loaders = [
            ("django.template.loaders.cached.Loader", [("django.template.loaders.locmem.Loader", REFERENCE_TEMPLATES)])
        ]
        libraries = {"i18n": "django.templatetags.i18n"}
        processors = ["django.template.context_processors.request"]
        _engine.append(Engine(loaders=loaders, context_processors=processors, libraries=libraries))
    template = _engine[0].get_template("reference/page.html")
    types = list(ContentType.objects.order_by("pk")[:20])  # the one query
    wanted = int(request.GET.get("bytes", "12000"))
    rows = [types[i % len(types)] for i in range(max(1, (wanted - 900) // 330))]
    context = {"title": "Page de référence", "rows": rows, "text": _TEXT, "now": timezone.now(), "nav": NAV}
    return HttpResponse(template.render(RequestContext(request, context)))


NAV = [f"reference-{n}" for n in range(6)]
urlpatterns = [
    path("__reference__", reference_view),
    path("__reference__/items/<int:pk>/", reference_view, name="reference-item"),
    *(path(f"__reference__/{name}/", reference_view, name=name) for name in NAV),
]


class ReferenceHandler(WSGIHandler):
    def __init__(self) -> None:
        with override_settings(MIDDLEWARE=DEFAULT_MIDDLEWARE):
            super().__init__()

    def get_response(self, request: HttpRequest) -> Any:
        request.urlconf = __name__
        return super().get_response(request)


reference = ReferenceHandler()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/__floor__":
        return floor(environ, start_response)
    if environ.get("PATH_INFO") == "/__reference__":
        return reference(environ, start_response)
    return platform(environ, start_response)
