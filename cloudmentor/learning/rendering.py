"""Lesson Markdown to safe HTML (LM-2, PV-11, TM-12).

Core's renderer (`core.markdown`) with the lessons' options: fenced code highlighted by
Pygments (CSS classes, no inline style: the CSP forbids them), then nh3. Raw HTML in the
source is shown as text, never passed through. Links to other sites are marked as
external. What is the lessons' own lives here: content from other sites (videos, images,
articles) becomes a placeholder that names the site and loads nothing until the reader
clicks, and the HTML of a published revision, which never changes, is cached by revision
and language (the placeholders' words are in the reader's language).
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped]  # no stubs published

from cloudmentor.core import markdown
from cloudmentor.core.markdown import is_external, mark_external

from .embeds import Embed, embed_for, is_player_url, origin_of

# Bump when the output of the pipeline changes: every cached rendering is then stale.
RENDERER_VERSION = 1
CACHE_SECONDS = 30 * 24 * 3600
PYGMENTS_STYLE = "github-dark"


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Keep only the attribute values the renderer itself produces."""
    if attribute == "data-embed-src":
        return value if is_player_url(value) or (value.startswith("https://") and "." in value) else None
    if tag == "img" and attribute == "src":
        # Images of the platform only; another site's image is a placeholder until clicked.
        return value if value.startswith("/") and not value.startswith("//") else None
    return value


def _external_label() -> str:
    return _("(site externe)")


# What lessons add to the policies' and newsletters' Markdown: code highlighting, images of
# the platform, placeholders of other sites' content, external-link marks; no raw HTML.
LESSON_OPTIONS = markdown.BASIC.extended(
    tags={"button", "del", "figcaption", "figure", "h5", "img", "kbd", "sub", "sup"},
    attributes={
        "a": {"class"},
        "abbr": {"title"},
        "button": {"type", "class", "hidden", "data-embed-load"},
        "div": {"data-embed-src", "data-embed-kind", "data-embed-title"},
        "figure": {"class"},
        "img": {"src", "alt", "title", "loading", "width", "height"},
        "p": {"class"},
    },
    extensions=["codehilite"],
    extension_configs={"codehilite": {"css_class": "highlight", "guess_lang": False, "use_pygments": True}},
    attribute_filter=_attribute_filter,
    raw_html=False,
    external_label=_external_label,
)


def sanitize(html: str) -> str:
    return markdown.sanitize(html, LESSON_OPTIONS)


@dataclass
class Rendered:
    """The HTML of a text, and the origins its placeholders may load after a click (for the CSP)."""

    html: str
    frame_origins: list[str] = field(default_factory=list)
    image_origins: list[str] = field(default_factory=list)


def _placeholder(embed: Embed, title: str) -> etree.Element:
    """Build the click-to-load placeholder of `embed`: a notice, a button (with JavaScript) and a link."""
    figure = etree.Element("figure")
    figure.set("class", f"embed embed--{embed.kind}")
    box = etree.SubElement(figure, "div")
    box.set("class", "embed__box")
    if embed.player_url:
        box.set("data-embed-src", embed.player_url)
        box.set("data-embed-kind", embed.kind)
        box.set("data-embed-title", title or embed.site)
    heading = etree.SubElement(box, "p")
    heading.set("class", "embed__title")
    heading.text = title or embed.url
    notice = etree.SubElement(box, "p")
    notice.set("class", "embed__notice")
    texts = {
        "video": _(
            "Cette vidéo est hébergée par %(site)s. La charger transmet à ce site votre adresse IP et "
            "lui permet de déposer ses cookies, exactement comme si vous le visitiez. Rien n'est "
            "chargé tant que vous ne cliquez pas."
        ),
        "image": _(
            "Cette image est hébergée par %(site)s. L'afficher transmet à ce site votre adresse IP, "
            "exactement comme si vous le visitiez. Rien n'est chargé tant que vous ne cliquez pas."
        ),
        "article": _(
            "Cet article est publié par %(site)s. Le lire vous mène sur ce site, qui peut collecter "
            "des données vous concernant, comme tout site que vous visitez."
        ),
    }
    notice.text = texts[embed.kind] % {"site": embed.site} + " "
    policy = etree.SubElement(notice, "a")
    policy.set("href", reverse("legal:policy", kwargs={"kind": "privacy"}))
    policy.text = _("Notre politique de confidentialité")
    policy.tail = "."
    actions = etree.SubElement(box, "p")
    actions.set("class", "embed__actions")
    if embed.player_url:
        button = etree.SubElement(actions, "button")
        button.set("type", "button")
        button.set("class", "button button--primary")
        button.set("data-embed-load", "")
        # Shown by the script; without JavaScript the link below still works.
        button.set("hidden", "")
        button.text = _("Charger la vidéo") if embed.kind == "video" else _("Afficher l'image")
        button.tail = " "
    link = etree.SubElement(actions, "a")
    link.set("href", embed.url)
    link.text = (
        _("Regarder sur %(site)s") % {"site": embed.site}
        if embed.kind == "video"
        else _("Voir l'image sur %(site)s") % {"site": embed.site}
        if embed.kind == "image"
        else _("Lire l'article sur %(site)s") % {"site": embed.site}
    )
    mark_external(link, _external_label())
    return figure


class _EmbedBlock(BlockProcessor):
    """``@[Title](https://...)`` alone in a paragraph: content from another site (PV-11)."""

    PATTERN = re.compile(r"^@\[(?P<title>[^\]\n]*)\]\((?P<url>[^)\s]+)\)$")

    def __init__(self, parser: Any, found: list[Embed]) -> None:
        super().__init__(parser)
        self.found = found

    def test(self, parent: etree.Element, block: str) -> bool:
        return bool(self.PATTERN.match(block.strip()))

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        match = self.PATTERN.match(blocks.pop(0).strip())
        assert match is not None
        embed = embed_for(match["url"])
        if embed is None:
            paragraph = etree.SubElement(parent, "p")
            paragraph.text = match["title"] or match["url"]
            return
        self.found.append(embed)
        parent.append(_placeholder(embed, match["title"].strip()))


class _Images(Treeprocessor):
    """Turn other sites' images into placeholders, or links; lazy-load the platform's.

    Links to other sites, these included, are marked external afterwards (core's option, TM-12).
    """

    def __init__(self, md: Any, found: list[Embed]) -> None:
        super().__init__(md)
        self.found = found

    def run(self, root: etree.Element) -> None:
        parents = {child: parent for parent in root.iter() for child in parent}
        for image in list(root.iter("img")):
            source = image.get("src") or ""
            if is_external(source):
                embed = embed_for(source)
                parent = parents[image]
                if embed is not None and parent.tag == "p" and len(parent) == 1 and not (parent.text or "").strip():
                    self.found.append(embed)
                    grandparent = parents[parent]
                    index = list(grandparent).index(parent)
                    grandparent.remove(parent)
                    grandparent.insert(index, _placeholder(embed, image.get("alt") or ""))
                    continue
                link = etree.Element("a")
                link.set("href", source)
                link.text = image.get("alt") or source
                link.tail = image.tail
                index = list(parent).index(image)
                parent.remove(image)
                parent.insert(index, link)
            else:
                image.set("loading", "lazy")


class _LessonExtension(Extension):
    def __init__(self, found: list[Embed]) -> None:
        super().__init__()
        self.found = found

    def extendMarkdown(self, md: Any) -> None:
        md.parser.blockprocessors.register(_EmbedBlock(md.parser, self.found), "cm_embed", 95)
        md.treeprocessors.register(_Images(md, self.found), "cm_images", 5)


def render(text: str) -> Rendered:
    """Render lesson Markdown to sanitized HTML in the active language."""
    found: list[Embed] = []
    html = markdown.render_markdown(text, LESSON_OPTIONS, extensions=[_LessonExtension(found)])
    frames = sorted({origin_of(e.player_url) for e in found if e.kind == "video" and e.player_url})
    images = sorted({origin_of(e.player_url) for e in found if e.kind == "image" and e.player_url})
    return Rendered(html=html, frame_origins=frames, image_origins=images)


def _cached(key: str, text: str) -> Rendered:
    value = cache.get(key)
    if value is None:
        rendered = render(text)
        cache.set(key, (rendered.html, rendered.frame_origins, rendered.image_origins), CACHE_SECONDS)
        return rendered
    html, frames, images = value
    # Sanitized again on display: whatever sits in the cache passes nh3 before a page shows it.
    return Rendered(html=sanitize(html), frame_origins=list(frames), image_origins=list(images))


def render_revision(*, revision_id: int, body: str) -> Rendered:
    """Return the rendering of a published revision, cached by revision and language."""
    return _cached(f"learning:html:{RENDERER_VERSION}:rev:{revision_id}:{get_language()}", body)


def text_for_language(body: str, body_en: str) -> tuple[str, str]:
    """Return the text of a lesson to show in the active language, and the language it is
    in when that is not the page's ("fr": an English page of a lesson without its English
    version, shown in French with a note, LX-5) or "" when it is."""
    if not (get_language() or "").startswith("en"):
        return body, ""
    if body_en.strip():
        return body_en, ""
    return body, "fr"


def render_text(text: str) -> Rendered:
    """Return the rendering of any text (drafts, quiz questions), cached by its content."""
    digest = hashlib.blake2b(text.encode(), digest_size=16).hexdigest()
    return _cached(f"learning:html:{RENDERER_VERSION}:text:{digest}:{get_language()}", text)


_INLINE_CODE = re.compile(r"`([^`]+)`")


def inline_code(text: str) -> SafeString:
    """Return a short plain text (a quiz answer) as HTML, with `code` spans shown as code."""
    return mark_safe(_INLINE_CODE.sub(r"<code>\1</code>", escape(text)))  # noqa: S308 - escaped first


def pygments_css() -> str:
    """Return the stylesheet of highlighted code (the file in static/ is generated from it)."""
    header = f"/* Generated by cloudmentor.learning.rendering.pygments_css() (Pygments style {PYGMENTS_STYLE}). */\n"
    return header + str(HtmlFormatter(style=PYGMENTS_STYLE).get_style_defs(".highlight")) + "\n"
