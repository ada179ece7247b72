"""A shared cache of whole pages for visitors who send no cookie (DESIGN.md, "Where the time goes").

A visitor without any cookie is anonymous and sees exactly what every other such visitor
sees, so a page marked with `anonymous_page_cache` is rendered once and then served from
the cache to every cookieless GET of the same URL, for a short time or until what it
shows changes (`pages_invalidate`: the publishing services, and a receiver on every row of
the material and of certificates, see docs/decisions/0090-one-coherence-rule.md). Requests with
any cookie (members, forms in progress) always reach the view. See
docs/decisions/0007-anonymous-page-cache.md.

Machinery shared by the apps whose pages visitors read (learning, legal), so it lives in
core; the cache keys and the setting keep their first names (`learning:page:`,
`LEARNING_PAGE_CACHE_SECONDS`), so that moving it changed no cached entry and no setting.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from cloudmentor.core import stamps
from cloudmentor.core.requests import annotated

# The change stamp of everything rendered from the material, and its bump, live in
# core/stamps.py with the other stamps; exported here with the cache they make stale.
from cloudmentor.core.stamps import PAGES_STAMP, pages_invalidate

KEY_PREFIX = "learning:page:"
DEFAULT_SECONDS = 60

__all__ = ["PAGES_STAMP", "AnonymousPageCacheMiddleware", "anonymous_page_cache", "pages_invalidate"]

View = Callable[..., HttpResponseBase]


def _seconds() -> int:
    return int(getattr(settings, "LEARNING_PAGE_CACHE_SECONDS", DEFAULT_SECONDS))


def anonymous_page_cache(*, query: frozenset[str] = frozenset()) -> Callable[[View], View]:
    """Let the middleware keep this view's answers to cookieless visitors.

    Only URLs whose query parameters are all in `query` are kept, so that arbitrary
    query strings cannot fill the cache.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if set(request.GET) <= query:
                annotated(request).anonymous_page_cacheable = True
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _key(request: HttpRequest) -> str:
    scheme = "https" if request.is_secure() else "http"
    return f"{KEY_PREFIX}{scheme}://{request.META.get('HTTP_HOST', '')}{request.get_full_path()}"


class AnonymousPageCacheMiddleware:
    """Serve and keep visitors' pages; stands right inside the request log (every hit is logged)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.static_prefix = settings.STATIC_URL or "/static/"

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "GET" or request.META.get("HTTP_COOKIE") or request.path.startswith(self.static_prefix):
            return self.get_response(request)
        key = _key(request)
        found = stamps.lookup(key, PAGES_STAMP)
        if found.value is not None:
            status, headers, content = found.value
            cached = HttpResponse(content, status=status)
            for name, value in headers:
                cached.headers[name] = value
            return cached
        response = self.get_response(request)
        if (
            getattr(request, "anonymous_page_cacheable", False)
            and response.status_code == 200
            and not response.cookies
            and isinstance(response, HttpResponse)
            and "private" not in response.get("Cache-Control", "")
        ):
            entry = (response.status_code, list(response.headers.items()), response.content)
            # A page showing something that ends soon (legal's banner) is kept until then only.
            timeout = min(_seconds(), int(getattr(request, "anonymous_page_cache_seconds", _seconds())))
            stamps.store(key, entry, found, timeout=timeout)
        return response
