"""Markdown to safe HTML: rendered with python-markdown, sanitized with nh3.

One pipeline for every text the platform renders, configured per kind of text by a
`MarkdownOptions`: `BASIC` for policies (legal) and newsletters; lessons (learning) extend
it with their own tags, embeds and external-link marks (`learning.rendering`). Whatever
the options, links get rel="noopener noreferrer" and only http, https and mailto URLs stay.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlparse

import markdown as markdown_lib
import nh3
from django.conf import settings
from django.core.cache import cache
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor


@dataclass(frozen=True)
class MarkdownOptions:
    """How one kind of text is rendered and what the sanitizer keeps of it.

    ``extensions`` are python-markdown's extension names (``extension_configs`` their
    settings); ``tags`` and ``attributes`` are nh3's allow-lists, ``attribute_filter``
    its last word on each value. ``raw_html=False`` shows raw HTML of the source as text
    instead of letting nh3 filter it. ``external_label`` marks links to other sites
    (`is_external`): class "external" and a visually hidden label, in the reader's language.
    """

    tags: frozenset[str]
    attributes: Mapping[str, frozenset[str]]
    extensions: tuple[str, ...] = ("tables", "fenced_code", "sane_lists")
    extension_configs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    attribute_filter: Callable[[str, str, str], str | None] | None = None
    raw_html: bool = True
    external_label: Callable[[], str] | None = None

    def extended(
        self,
        *,
        tags: Iterable[str] = (),
        attributes: Mapping[str, Iterable[str]] | None = None,
        extensions: Iterable[str] = (),
        **changes: Any,
    ) -> MarkdownOptions:
        """Return these options with more tags, attributes and extensions, and `changes` applied."""
        merged = {tag: set(names) for tag, names in self.attributes.items()}
        for tag, names in (attributes or {}).items():
            merged.setdefault(tag, set()).update(names)
        return replace(
            self,
            tags=self.tags | frozenset(tags),
            attributes={tag: frozenset(names) for tag, names in merged.items()},
            extensions=(*self.extensions, *extensions),
            **changes,
        )


_BASIC_TAGS = {
    "a", "abbr", "blockquote", "br", "code", "div", "em", "h2", "h3", "h4", "hr", "li", "ol", "p", "pre",
    "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
# Policies (legal) and newsletters: text, lists, tables, code; no image, no embed.
BASIC = MarkdownOptions(
    tags=frozenset(_BASIC_TAGS),
    attributes={
        "a": frozenset({"href", "title"}),
        "code": frozenset({"class"}),
        "div": frozenset({"class"}),
        "span": frozenset({"class"}),
        "td": frozenset({"align"}),
        "th": frozenset({"align"}),
    },
)
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer"


def site_host() -> str:
    return urlparse(str(settings.SITE_URL)).netloc.lower()


def is_external(url: str) -> bool:
    """Return True for an absolute http(s) URL on another host than the platform."""
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} and not url.startswith("//"):
        return False
    return bool(parsed.netloc) and parsed.netloc.lower() != site_host()


def mark_external(link: etree.Element, label: str) -> None:
    """Mark a link as leaving the site: class "external" and `label` for screen readers (once)."""
    classes = (link.get("class") or "").split()
    if "external" not in classes:
        link.set("class", " ".join([*classes, "external"]))
        hidden = etree.SubElement(link, "span")
        hidden.set("class", "visually-hidden")
        hidden.text = " " + label


class _ExternalLinks(Treeprocessor):
    def __init__(self, md: Any, label: Callable[[], str]) -> None:
        super().__init__(md)
        self.label = label

    def run(self, root: etree.Element) -> None:
        for link in root.iter("a"):
            if is_external(link.get("href") or ""):
                mark_external(link, self.label())


class _Options(Extension):
    """What the options change in python-markdown itself: raw HTML, external links."""

    def __init__(self, options: MarkdownOptions) -> None:
        super().__init__()
        self.options = options

    def extendMarkdown(self, md: Any) -> None:
        if not self.options.raw_html:
            # Raw HTML is text: authors write Markdown, and code samples keep their tags.
            md.preprocessors.deregister("html_block")
            md.inlinePatterns.deregister("html")
        if self.options.external_label is not None:
            # After every other change to the tree (priority 5 and above), before unescaping.
            md.treeprocessors.register(_ExternalLinks(md, self.options.external_label), "cm_external_links", 4)


def sanitize(html: str, options: MarkdownOptions = BASIC) -> str:
    """Keep only what `options` allow of `html` (also for HTML read back from a cache)."""
    return nh3.clean(
        html,
        tags=set(options.tags),
        attributes={tag: set(names) for tag, names in options.attributes.items()},
        attribute_filter=options.attribute_filter,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
    )


def render_markdown(text: str, options: MarkdownOptions = BASIC, *, extensions: Sequence[Extension] = ()) -> str:
    """Return sanitized HTML for `text`; links get rel="noopener noreferrer".

    `extensions` are instances for this rendering only (those that collect what they find).
    """
    converter = markdown_lib.Markdown(
        extensions=[*options.extensions, *extensions, _Options(options)],
        extension_configs={name: dict(config) for name, config in options.extension_configs.items()},
        output_format="html",
    )
    return sanitize(converter.convert(text), options)


def render_markdown_cached(text: str, *, namespace: str) -> str:
    """Return `render_markdown(text)`, cached by content: a new text is a new cache entry."""
    key = f"markdown:{namespace}:{hashlib.blake2b(text.encode(), digest_size=16).hexdigest()}"
    html = cache.get(key)
    if html is None:
        html = render_markdown(text)
        cache.set(key, html, timeout=24 * 3600)
    return str(html)
