from __future__ import annotations

from functools import partial
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import translate_url
from django.utils.translation import get_language, get_language_info

from . import pageparts


def site(request: HttpRequest) -> dict[str, Any]:
    """Expose the support address, the same page in the other languages, and the page parts.

    Each language is named in itself ("English", "Français"), whatever the page's language.
    ``page_parts`` (what other apps add under the header, `core.pageparts`) is rendered
    only when a template reads it.
    """
    current = get_language()
    alternates = [
        {
            "code": code,
            "name": get_language_info(code)["name_local"],
            "url": translate_url(request.get_full_path(), code),
        }
        for code, _name in settings.LANGUAGES
        if code != current
    ]
    return {
        "support_email": settings.SUPPORT_EMAIL,
        "language_alternates": alternates,
        "page_parts": partial(pageparts.parts_for, request),
    }
