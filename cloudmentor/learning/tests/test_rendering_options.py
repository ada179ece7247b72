"""Lessons render through core's one Markdown renderer with their own options (LM-2, TM-12)."""

from __future__ import annotations

from django.utils import translation

from cloudmentor.core.markdown import BASIC, render_markdown, sanitize
from cloudmentor.learning import rendering
from cloudmentor.learning.rendering import LESSON_OPTIONS

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
