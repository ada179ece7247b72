"""Tell the rest of the request that the member has a notice to read on the page (TM-1)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import SimpleLazyObject

from cloudmentor.core.requests import annotated

from .selectors import terms_notice_due


class PolicyNoticeMiddleware:
    """Set ``request.page_notice_due``: whether the layout shows this member a notice.

    The notice's page part (`context_processors.terms_notice_html`) reads it, on every
    page and in pages assembled from a shell. Evaluated only when read; no query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        annotated(request).page_notice_due = SimpleLazyObject(lambda: terms_notice_due(request.user))
        return self.get_response(request)
