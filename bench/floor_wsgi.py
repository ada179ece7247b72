"""The bench server: the platform, plus a framework-floor view on the same server.

`/__floor__` is a plain Django view behind no middleware and no URL resolution: the most
a Django process can serve on this machine, to compare real pages against.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cloudmentor.settings")

from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse

platform = get_wsgi_application()
FLOOR_BODY = ("<!DOCTYPE html><html><body>" + "<p>framework floor</p>" * 600 + "</body></html>").encode()


def floor_view(request: WSGIRequest) -> HttpResponse:
    return HttpResponse(FLOOR_BODY)


class FloorHandler(WSGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        self._middleware_chain = floor_view  # type: ignore[assignment]


floor = FloorHandler()


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/__floor__":
        return floor(environ, start_response)
    return platform(environ, start_response)
