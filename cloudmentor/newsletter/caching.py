"""The member's newsletter status, cached for the account page (no query in steady state).

Checked against a change stamp per member (`core.stamps`) that every write of a
subscriber linked to that member bumps.
"""

from __future__ import annotations

from typing import Any

from cloudmentor.core import stamps

STATUS_CACHE_SECONDS = 300


def member_stamp(user_id: Any) -> str:
    return f"newsletter:member:{user_id}"


def member_changed(*user_ids: Any) -> None:
    stamps.bump(*(member_stamp(user_id) for user_id in user_ids if user_id is not None))
