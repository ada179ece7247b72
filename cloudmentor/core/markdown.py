"""Markdown to safe HTML: rendered with python-markdown, sanitized with nh3."""

from __future__ import annotations

import hashlib

import markdown as markdown_lib
import nh3
from django.core.cache import cache

ALLOWED_TAGS = {
    "a",
    "abbr",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "div",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "span": {"class"},
    "code": {"class"},
    "div": {"class"},
    "th": {"align"},
    "td": {"align"},
}


def render_markdown(text: str) -> str:
    """Return sanitized HTML for `text`; links get rel="noopener noreferrer"."""
    html = markdown_lib.markdown(text, extensions=["tables", "fenced_code", "sane_lists"], output_format="html")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def render_markdown_cached(text: str, *, namespace: str) -> str:
    """Return `render_markdown(text)`, cached by content: a new text is a new cache entry."""
    key = f"markdown:{namespace}:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"
    html = cache.get(key)
    if html is None:
        html = render_markdown(text)
        cache.set(key, html, timeout=24 * 3600)
    return str(html)
