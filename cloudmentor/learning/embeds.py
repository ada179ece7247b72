"""Content from other sites named in lessons: which site, what to load once the reader agrees (PV-11).

Nothing here fetches anything: it only reads URLs. The privacy-enhanced players are the
only addresses a page may load in a frame, after the reader's click.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlparse

from cloudmentor.core.markdown import is_external

YOUTUBE_PLAYER = "https://www.youtube-nocookie.com/embed/"
VIMEO_PLAYER = "https://player.vimeo.com/video/"
# The only frame sources a lesson page allows, and only on pages that show such a video.
PLAYER_ORIGINS = {"youtube": "https://www.youtube-nocookie.com", "vimeo": "https://player.vimeo.com"}
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif")

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^\d{1,12}$")


@dataclass(frozen=True)
class Embed:
    """A piece of another site's content: `player_url` is loaded only after a click (videos)."""

    kind: str  # "video", "image" or "article"
    provider: str  # "youtube", "vimeo" or "" for other sites
    site: str  # the host the reader's browser would contact
    url: str  # the content on its own site (the link that works without JavaScript)
    player_url: str = ""


def host_of(url: str) -> str:
    host = urlparse(url).netloc.lower()
    return host.removeprefix("www.")


def embed_for(url: str) -> Embed | None:
    """Return what `url` embeds, or None when it is not an external http(s) URL."""
    if not is_external(url) or not url.startswith(("http://", "https://")):
        return None
    parsed = urlparse(url)
    host = host_of(url)
    video_id = ""
    if host in {"youtube.com", "m.youtube.com", "youtube-nocookie.com"}:
        if parsed.path == "/watch":
            video_id = parse_qs(parsed.query).get("v", [""])[0]
        elif parsed.path.startswith(("/embed/", "/shorts/", "/live/")):
            video_id = parsed.path.split("/")[2]
    elif host == "youtu.be":
        video_id = parsed.path.lstrip("/").split("/")[0]
    if video_id:
        if not _YOUTUBE_ID.match(video_id):
            return None
        return Embed(
            kind="video",
            provider="youtube",
            site="YouTube",
            url=f"https://www.youtube.com/watch?v={video_id}",
            player_url=f"{YOUTUBE_PLAYER}{video_id}?autoplay=1&rel=0",
        )
    if host in {"vimeo.com", "player.vimeo.com"}:
        number = parsed.path.rstrip("/").split("/")[-1]
        if not _VIMEO_ID.match(number):
            return None
        return Embed(
            kind="video",
            provider="vimeo",
            site="Vimeo",
            url=f"https://vimeo.com/{number}",
            player_url=f"{VIMEO_PLAYER}{number}?dnt=1&autoplay=1",
        )
    if parsed.path.lower().endswith(IMAGE_SUFFIXES):
        # Loaded only after a click, and only over HTTPS (an http image would be mixed content).
        player = url if parsed.scheme == "https" else ""
        return Embed(kind="image", provider="", site=host, url=url, player_url=player)
    return Embed(kind="article", provider="", site=host, url=url)


def is_player_url(url: str) -> bool:
    return url.startswith((YOUTUBE_PLAYER, VIMEO_PLAYER))


def origin_of(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"
