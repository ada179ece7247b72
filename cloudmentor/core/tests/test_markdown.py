from __future__ import annotations

from django.core.cache import cache
from django.utils import translation

from cloudmentor.core.markdown import BASIC, render_markdown, render_markdown_cached, sanitize
from cloudmentor.learning import rendering
from cloudmentor.learning.rendering import LESSON_OPTIONS


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


SAMPLE = (
    "## Titre\n\nDu **gras**, du `code`, [la doc](https://docs.example.org/) et [le catalogue](/courses/).\n\n"
    '<b onclick="x()">brut</b>\n\n| a | b |\n|:--|--:|\n| 1 | 2 |\n\n```python\nx = 1\n```\n'
)
TABLE = (
    "<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n"
    "<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n"
)


def test_lm2_tm12_one_renderer_the_policy_and_the_lesson_options_pin_their_output() -> None:
    """Policies and newsletters let nh3 filter raw HTML; lessons show it as text, mark external links, highlight code."""
    with translation.override("fr"):
        policy = render_markdown(SAMPLE)
        lesson = render_markdown(SAMPLE, LESSON_OPTIONS)

    assert policy == (
        '<h2>Titre</h2>\n<p>Du <strong>gras</strong>, du <code>code</code>, <a href="https://docs.example.org/" '
        'rel="noopener noreferrer">la doc</a> et <a href="/courses/" rel="noopener noreferrer">le catalogue</a>.</p>\n'
        "<p>brut</p>\n" + TABLE + '<pre><code class="language-python">x = 1\n</code></pre>'
    )
    assert lesson == (
        '<h2>Titre</h2>\n<p>Du <strong>gras</strong>, du <code>code</code>, <a class="external" '
        'href="https://docs.example.org/" rel="noopener noreferrer">la doc<span class="visually-hidden"> '
        '(site externe)</span></a> et <a href="/courses/" rel="noopener noreferrer">le catalogue</a>.</p>\n'
        '<p>&lt;b onclick="x()"&gt;brut&lt;/b&gt;</p>\n' + TABLE + '<div class="highlight"><pre><span></span><code>'
        '<span class="n">x</span> <span class="o">=</span> <span class="mi">1</span>\n</code></pre></div>'
    )
    assert rendering.render(SAMPLE).html == lesson  # what a lesson page shows (embeds aside)


def test_lesson_options_extend_the_basic_allow_lists() -> None:
    """One allow-list: the lessons' is the basic one plus their own tags and attributes."""
    assert BASIC.tags < LESSON_OPTIONS.tags
    assert all(BASIC.attributes[tag] <= LESSON_OPTIONS.attributes[tag] for tag in BASIC.attributes)
    assert (
        sanitize('<img src="/x.png"><a class="external" href="/">x</a>')
        == '<a href="/" rel="noopener noreferrer">x</a>'
    )
