"""Lesson Markdown: highlighted code, sanitized HTML, external links, click-to-load embeds (LM-2, TM-12, PV-11)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.utils import translation

from cloudmentor.learning import rendering
from cloudmentor.learning.embeds import embed_for


def test_lm2_code_blocks_are_highlighted_with_classes_never_inline_styles() -> None:
    html = rendering.render("```python\ndef hello():\n    return 42\n```\n").html

    assert '<div class="highlight"><pre>' in html
    assert '<span class="k">def</span>' in html
    assert "style=" not in html


def test_lm2_raw_html_and_script_are_shown_as_text_never_run() -> None:
    html = rendering.render(
        "<script>alert(1)</script>\n\nTexte <img src=x onerror=alert(2)> et <b onclick=x>gras</b>\n\n"
        "[clic](javascript:alert(3))\n"
    ).html

    assert "<script" not in html and "<img" not in html and "<b " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "javascript:" not in html


def test_lm2_html_in_code_samples_is_kept_as_code() -> None:
    html = rendering.render('```html\n<div class="x">bonjour</div>\n```\n').html

    assert "&lt;" in html and "bonjour" in html and '<div class="x">' not in html


def test_lm2_images_of_the_platform_are_shown_and_lazy_loaded() -> None:
    html = rendering.render("![Schéma](/static/learning/img/aws-vpc.svg)\n").html

    assert '<img alt="Schéma" loading="lazy" src="/static/learning/img/aws-vpc.svg">' in html


def test_tm12_links_to_other_sites_are_marked_external_with_noopener_noreferrer() -> None:
    html = rendering.render("[Docs AWS](https://docs.aws.amazon.com/) et [le catalogue](/courses/)\n").html

    assert (
        '<a class="external" href="https://docs.aws.amazon.com/" rel="noopener noreferrer">Docs AWS'
        '<span class="visually-hidden"> (site externe)</span></a>'
    ) in html
    assert '<a href="/courses/" rel="noopener noreferrer">le catalogue</a>' in html


def test_tm12_the_external_mark_is_read_in_the_readers_language() -> None:
    with translation.override("en"):
        html = rendering.render("[Docs](https://kubernetes.io/docs/)\n").html

    assert "(external site)" in html


@pytest.mark.parametrize(
    ("url", "player"),
    [
        (
            "https://www.youtube.com/watch?v=PziYflu8cB8",
            "https://www.youtube-nocookie.com/embed/PziYflu8cB8?autoplay=1&rel=0",
        ),
        ("https://youtu.be/PziYflu8cB8", "https://www.youtube-nocookie.com/embed/PziYflu8cB8?autoplay=1&rel=0"),
        ("https://vimeo.com/76979871", "https://player.vimeo.com/video/76979871?dnt=1&autoplay=1"),
    ],
)
def test_pv11_videos_load_the_privacy_enhanced_players(url: str, player: str) -> None:
    embed = embed_for(url)

    assert embed is not None and embed.kind == "video" and embed.player_url == player


def test_pv11_an_embedded_video_is_a_placeholder_that_requests_nothing_before_the_click() -> None:
    rendered = rendering.render("@[Kubernetes en 100 secondes](https://www.youtube.com/watch?v=PziYflu8cB8)\n")
    html = rendered.html

    assert "<iframe" not in html and "<img" not in html
    assert not re.search(r"\ssrc=", html)  # nothing the browser would fetch by itself
    assert 'data-embed-src="https://www.youtube-nocookie.com/embed/PziYflu8cB8?autoplay=1&amp;rel=0"' in html
    assert "Cette vidéo est hébergée par YouTube" in html
    assert '<a href="/legal/privacy/" rel="noopener noreferrer">Notre politique de confidentialité</a>' in html
    # Without JavaScript, the link to the video on its site works (and says it leaves the site).
    assert 'class="external" href="https://www.youtube.com/watch?v=PziYflu8cB8"' in html
    assert rendered.frame_origins == ["https://www.youtube-nocookie.com"]


def test_pv11_an_image_from_another_site_is_a_placeholder_too() -> None:
    rendered = rendering.render("![Diagramme](https://upload.example.org/diagramme.png)\n")

    assert "<img" not in rendered.html
    assert "Cette image est hébergée par upload.example.org" in rendered.html
    assert 'data-embed-src="https://upload.example.org/diagramme.png"' in rendered.html
    assert rendered.image_origins == ["https://upload.example.org"]
    assert rendered.frame_origins == []


def test_pv11_an_article_from_another_site_is_a_card_linking_to_it() -> None:
    rendered = rendering.render("@[Le guide OWASP](https://cheatsheetseries.owasp.org/index.html)\n")

    assert "Cet article est publié par cheatsheetseries.owasp.org" in rendered.html
    assert "data-embed-src" not in rendered.html
    assert 'class="external" href="https://cheatsheetseries.owasp.org/index.html"' in rendered.html


def test_pv11_the_sanitizer_refuses_an_embed_address_it_did_not_produce() -> None:
    html = rendering.sanitize(
        '<div data-embed-src="javascript:alert(1)">x</div><div data-embed-src="http://evil.example/">y</div>'
        '<img src="https://tracker.example/pixel.gif">'
    )

    assert "data-embed-src" not in html and "tracker" not in html


def test_lm2_a_revision_is_rendered_once_then_read_from_the_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = rendering.render
    monkeypatch.setattr(rendering, "render", lambda text: calls.append(text) or real(text))

    first = rendering.render_revision(revision_id=7, body="**un**")
    second = rendering.render_revision(revision_id=7, body="**un**")

    assert first.html == second.html == "<p><strong>un</strong></p>"
    assert calls == ["**un**"]


def test_lm2_the_cached_html_is_sanitized_again_on_display() -> None:
    rendering.render_revision(revision_id=8, body="texte")
    key = f"learning:html:{rendering.RENDERER_VERSION}:rev:8:{translation.get_language()}"
    cache.set(key, ('<p>ok</p><script>alert("poison")</script>', [], []))

    assert rendering.render_revision(revision_id=8, body="texte").html == "<p>ok</p>"


def test_lm2_the_code_stylesheet_is_the_one_pygments_generates() -> None:
    path = Path(__file__).resolve().parents[1] / "static" / "learning" / "css" / "pygments.css"

    assert path.read_text() == rendering.pygments_css()
