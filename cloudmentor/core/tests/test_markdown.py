from __future__ import annotations

from django.core.cache import cache

from cloudmentor.core.markdown import render_markdown, render_markdown_cached


def test_lm2_markdown_is_sanitized_and_links_are_marked_noopener() -> None:
    html = render_markdown(
        "# T\n\n<script>x()</script> <img src=x onerror=y()>\n\n[a](https://example.org) [b](javascript:evil())"
    )

    assert "<script>" not in html and "onerror" not in html and "javascript:" not in html
    assert '<a href="https://example.org" rel="noopener noreferrer">a</a>' in html


def test_rendered_markdown_is_cached_by_content() -> None:
    cache.clear()
    first = render_markdown_cached("**un**", namespace="t")
    second = render_markdown_cached("**deux**", namespace="t")

    assert first == "<p><strong>un</strong></p>"
    assert second == "<p><strong>deux</strong></p>"
    assert render_markdown_cached("**un**", namespace="t") == first
