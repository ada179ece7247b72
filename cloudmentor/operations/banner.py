"""The maintenance banner and page texts (TM-5): dates and times in Paris time, in the page's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import dateformat, translation
from django.utils.translation import get_language

from .selectors import MaintenanceState, maintenance_state

BANNER_TEMPLATE = "operations/includes/maintenance_banner.html"


def _local(moment: datetime) -> datetime:
    # The banner says "heure de Paris": the site's time zone, whatever zone is active.
    return moment.astimezone(ZoneInfo(settings.TIME_ZONE))


def day_text(moment: datetime, language: str | None = None) -> str:
    """The day of `moment` spelt out: "jeudi 3 décembre 2026", "mardi 1er décembre 2026", "Thursday 3 December 2026"."""
    local = _local(moment)
    language = language or get_language() or settings.LANGUAGE_CODE
    with translation.override(language):
        text = dateformat.format(local, "l j F Y")
    if language.startswith("fr") and local.day == 1:
        text = text.replace(" 1 ", " 1er ", 1)
    return text


def time_text(moment: datetime) -> str:
    return _local(moment).strftime("%H:%M")


def maintenance_texts(state: MaintenanceState, language: str | None = None) -> dict[str, Any] | None:
    """What the banner and the maintenance page say about the state's window, or None when nothing is due."""
    window = state.announced
    if window is None:
        return None
    language = language or get_language() or settings.LANGUAGE_CODE
    ends_at = state.until if state.is_active and state.until is not None else window.ends_at
    return {
        "active": state.is_active,
        "emergency": window.is_emergency,
        "same_day": _local(window.starts_at).date() == _local(ends_at).date(),
        "start_day": day_text(window.starts_at, language),
        "start_time": time_text(window.starts_at),
        "end_day": day_text(ends_at, language),
        "end_time": time_text(ends_at),
        "message": window.message(language),
    }


def state_of(request: HttpRequest) -> MaintenanceState:
    """The state the maintenance middleware found for this request (read again without it)."""
    state = getattr(request, "maintenance", None)
    return state if isinstance(state, MaintenanceState) else maintenance_state()


def banner_html(request: HttpRequest) -> str:
    """The banner of this request's page ("" when no window is announced): a page part (core/pageparts.py)."""
    texts = maintenance_texts(state_of(request))
    if texts is None:
        return ""
    return render_to_string(BANNER_TEMPLATE, {"maintenance_banner": texts})
