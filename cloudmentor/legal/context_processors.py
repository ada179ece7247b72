"""What every page's layout may show about the policies: computed only when a template asks."""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django.template.context_processors import csrf
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language

from cloudmentor.core.requests import annotated

from . import selectors
from .models import PolicyKind

NOTICE_TEMPLATE = "legal/includes/terms_notice.html"


class PolicyBanners:
    """The home page's banner of new versions and the member's notice of new terms (TM-1).

    Both read `selectors.policy_state()`, cached behind a change stamp: no query in steady state.
    """

    def __init__(self, request: HttpRequest) -> None:
        self.request = request

    @cached_property
    def publications(self) -> list[dict[str, Any]]:
        now = timezone.now()
        days = selectors.banner_days()
        language = get_language()
        items = selectors.publication_banner_list(now=now)
        if items:
            # A visitor's page kept by the anonymous page cache must not outlive the banner.
            ends = min(item.banner_ends_at(days) for item in items)
            seconds = max(1, math.ceil((ends - now).total_seconds()))
            annotated(self.request).anonymous_page_cache_seconds = seconds
        return [
            {
                "kind": item.kind,
                "title": item.title,
                "version": item.version,
                "published_at": item.published_at,
                "summary": item.summary_in(language),
                "url": reverse("legal:policy", kwargs={"kind": item.kind}),
            }
            for item in items
        ]

    @cached_property
    def terms_version(self) -> int | None:
        return selectors.policy_state().terms_version

    @cached_property
    def terms_url(self) -> str:
        return reverse("legal:policy", kwargs={"kind": PolicyKind.TERMS})


def policies(request: HttpRequest) -> dict[str, Any]:
    return {"policy_banners": PolicyBanners(request)}


def terms_notice_html(request: HttpRequest) -> str:
    """Return the notice of new terms for this request's member ("" for anyone else): a page part (TM-1).

    Read from ``request.page_notice_due`` (`PolicyNoticeMiddleware`, computed once per
    request), then rendered with what the layout would give the template.
    """
    user = getattr(request, "user", None)
    due = getattr(request, "page_notice_due", None)
    if not (selectors.terms_notice_due(user) if due is None else due):
        return ""
    context = {"policy_banners": PolicyBanners(request), "user": user, "request": request, **csrf(request)}
    return render_to_string(NOTICE_TEMPLATE, context)
