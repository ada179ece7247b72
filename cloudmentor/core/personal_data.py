"""Every app's personal data of a member, in one registry: export (PV-9) and erasure (PV-10).

Each app that holds personal data registers one `Section` in its ``AppConfig.ready()``:
what it holds, an exporter, an eraser, and what erasure deletes and keeps (with why).
The account pages (``accounts``, a low layer) export and erase through this registry,
so they never import the apps above them
(docs/decisions/0040-personal-data-registry.md).

Erasure runs the erasers in ascending ``order`` inside the caller's transaction: when
one raises, everything is rolled back. Each eraser returns an `Outcome` listing what it
erased and what it kept, each kept item with its reason, in words the member reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.functional import Promise

# Version of the export file's structure (docs/privacy.md); raise it when a key changes meaning.
EXPORT_FORMAT = "cloudmentor-personal-data"
EXPORT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Subject:
    """Whose data is exported or erased, captured before anything is changed.

    Erasers run in order and the account is anonymised by the last one: the username and
    the address they need are taken from here, never from the (changing) account.
    """

    user: Any
    username: str
    email: str
    language: str

    @classmethod
    def of(cls, user: Any) -> Subject:
        return cls(user=user, username=user.username, email=user.email, language=user.language or "fr")


@dataclass(frozen=True)
class Item:
    """One kind of data in an erasure outcome: a stable key, words, a count, and why it is kept."""

    key: str
    what: str | Promise
    count: int | None = None
    why: str | Promise = ""


@dataclass
class Outcome:
    """What one app's eraser erased and kept."""

    erased: list[Item] = field(default_factory=list)
    kept: list[Item] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    """One app's personal data: its description, exporter and eraser.

    ``holds``: (key of the export, what it is) pairs, shown on the data page and in the
    documentation. ``erases``: what erasure deletes; ``keeps``: (what, why) pairs; both
    shown before the member confirms. ``notices``: warnings for this member (a running
    subscription, an unpaid invoice). ``export`` returns JSON-ready values where a list
    may be an iterator (streamed, never held in memory).
    """

    key: str
    title: str | Promise
    order: int
    export: Callable[[Subject], Mapping[str, Any]]
    erase: Callable[[Subject], Outcome]
    holds: tuple[tuple[str, str | Promise], ...] = ()
    erases: tuple[str | Promise, ...] = ()
    keeps: tuple[tuple[str | Promise, str | Promise], ...] = ()
    notices: Callable[[Any], list[str]] | None = None


@dataclass(frozen=True)
class SectionOutcome:
    section: Section
    outcome: Outcome


_REGISTRY: dict[str, Section] = {}


def register(section: Section) -> None:
    """Add (or replace) an app's section; called from ``AppConfig.ready()``."""
    _REGISTRY[section.key] = section


def unregister(key: str) -> None:
    _REGISTRY.pop(key, None)


def sections() -> list[Section]:
    """Return the registered sections in erasure order (the export follows the same order)."""
    return sorted(_REGISTRY.values(), key=lambda section: (section.order, section.key))


def erase_all(*, subject: Subject) -> list[SectionOutcome]:
    """Run every eraser in order. The caller holds the transaction: one failure undoes all."""
    return [SectionOutcome(section=section, outcome=section.erase(subject)) for section in sections()]


def notices_for(user: Any) -> list[str]:
    return [notice for section in sections() if section.notices for notice in section.notices(user)]


def export_document(*, subject: Subject, generated_at: datetime) -> dict[str, Any]:
    """Return the export as one mapping; its sections' lists may be iterators (see `stream_json`)."""
    return {
        "format": EXPORT_FORMAT,
        "format_version": EXPORT_FORMAT_VERSION,
        "generated_at": generated_at.isoformat(),
        "member": {"id": subject.user.pk, "username": subject.username, "email": subject.email},
        "sections": {section.key: section.export(subject) for section in sections()},
    }


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Promise):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not exportable")


def _scalar(value: Any) -> str:
    return json.dumps(value, default=_default, ensure_ascii=False)


def stream_json(value: Any, *, indent: int = 0) -> Iterator[str]:
    """Yield the JSON text of `value` in pieces; iterators are written as lists, one item at a time.

    A year of request-log rows thus never sits in memory: each row is read from the
    database cursor, written, and forgotten.
    """
    pad, inner = "\n" + " " * indent, "\n" + " " * (indent + 2)
    if isinstance(value, Promise):
        yield _scalar(str(value))
        return
    if isinstance(value, Mapping):
        if not value:
            yield "{}"
            return
        yield "{"
        for index, (key, item) in enumerate(value.items()):
            yield ("," if index else "") + inner + _scalar(str(key)) + ": "
            yield from stream_json(item, indent=indent + 2)
        yield pad + "}"
        return
    if isinstance(value, list | tuple) or (isinstance(value, Iterable) and not isinstance(value, str | bytes)):
        empty = True
        for index, item in enumerate(value):
            yield ("[" if index == 0 else ",") + inner
            yield from stream_json(item, indent=indent + 2)
            empty = False
        yield "[]" if empty else pad + "]"
        return
    yield _scalar(value)


def stream_json_chunks(value: Any, *, size: int = 64 * 1024) -> Iterator[bytes]:
    """Yield the UTF-8 JSON of `value` in chunks of about `size` bytes (one write each, not one per value)."""
    buffer: list[bytes] = []
    length = 0
    for piece in stream_json(value):
        data = piece.encode()
        buffer.append(data)
        length += len(data)
        if length >= size:
            yield b"".join(buffer)
            buffer, length = [], 0
    if buffer:
        yield b"".join(buffer)
