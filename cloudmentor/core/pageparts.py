"""What other apps add to every page for the request: a banner, a notice (STYLE.md section 1).

An app registers one `PagePart` per thing it shows under the site's header, in its
``AppConfig.ready()``: a callable that returns the part's HTML for a request, "" when there
is nothing to show (operations: the maintenance banner, TM-5; legal: the notice of new
terms, TM-1). `base.html` shows every part, in ``order``, through the ``page_parts`` the
`site` context processor gives it; pages assembled without the template for each request
(learning's lesson shell) fill them from `parts_for`. So the layout names no app above
core, and no app imports another's banner.

A part is rendered on every page: it must cost no query in steady state (read cached state).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class PagePart:
    """One part of every page: `render` returns its HTML for a request ("" when it shows nothing)."""

    name: str  # letters, digits and "_": pages assembled from a shell use it in a marker
    order: int
    render: Callable[[HttpRequest], str]


_REGISTRY: dict[str, PagePart] = {}
_ordered: tuple[PagePart, ...] = ()


def register(part: PagePart) -> None:
    """Add (or replace) a part; called from ``AppConfig.ready()``."""
    global _ordered
    _REGISTRY[part.name] = part
    _ordered = tuple(sorted(_REGISTRY.values(), key=lambda item: (item.order, item.name)))


def unregister(name: str) -> None:
    global _ordered
    _REGISTRY.pop(name, None)
    _ordered = tuple(sorted(_REGISTRY.values(), key=lambda item: (item.order, item.name)))


def parts() -> tuple[PagePart, ...]:
    """Return the registered parts in the order pages show them."""
    return _ordered


def parts_for(request: HttpRequest) -> dict[str, SafeString]:
    """Return each part's HTML for `request`, by name, in the order pages show them."""
    # Each part renders its HTML from a template (autoescaped) or returns "".
    return {part.name: mark_safe(part.render(request)) for part in _ordered}  # noqa: S308
