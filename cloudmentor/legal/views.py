from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from cloudmentor.core.cookies import cookie_list
from cloudmentor.core.markdown import render_markdown_cached
from cloudmentor.learning.pagecache import anonymous_page_cache

from .models import PolicyKind
from .selectors import policy_current

COOKIE_TABLE_MARK = "<p>{{ cookie_table }}</p>"


@anonymous_page_cache()
def policy(request: HttpRequest, kind: str) -> HttpResponse:
    """Serve the current version of a policy; cookieless visitors get it from the page cache."""
    if kind not in PolicyKind.values:
        raise Http404
    document = policy_current(kind=kind, language=get_language())
    if document is None:
        raise Http404
    html = render_markdown_cached(document.body, namespace="policy")
    if kind == PolicyKind.COOKIES:
        # CK-9: the table is generated from the registry the middleware enforces.
        table = render_to_string("legal/cookie_table.html", {"cookies": cookie_list()}, request=request)
        html = html.replace(COOKIE_TABLE_MARK, table) if COOKIE_TABLE_MARK in html else html + table
    return render(
        request,
        "legal/policy.html",
        {"document": document, "body": mark_safe(html)},  # noqa: S308 - sanitized by nh3
    )
