from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .banner import maintenance_texts, state_of


def maintenance(request: HttpRequest) -> dict[str, Any]:
    """Give the staff site's layout the maintenance banner's texts (None most of the time); no query once cached.

    The site's pages get the banner as a page part (`banner.banner_html`, TM-5).
    """
    return {"maintenance_banner": maintenance_texts(state_of(request))}
