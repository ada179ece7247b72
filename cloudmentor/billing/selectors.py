"""Reads of the billing app; `user_access_level` is the entitlement answer for `learning`."""

from __future__ import annotations

from cloudmentor.accounts.models import User

from .models import AccessLevel


def user_access_level(*, user: User | None) -> AccessLevel:
    """Return the highest access level `user` may use now (FREE for visitors).

    Staff and content creators see everything, so they can review material.
    """
    if user is None or not user.is_authenticated:
        return AccessLevel.FREE
    if user.is_staff:
        return AccessLevel.EXPERT
    return AccessLevel.FREE
