"""What the accounts app keeps in the cache for every request, and what makes it stale.

A member's request reads their session and their account from the cache instead of the
database (docs/decisions/0014-member-pages-without-queries.md). Each cached copy is
checked against a change stamp (`cloudmentor.core.stamps`) that every write bumps:

- a session's stamp, when its row is updated (through the session store, or saved through
  the model) or deleted (logout, revocation, the session cap, a disabled account, the
  staff site): the next request of that device, on any worker, reads the row again and a
  deleted session is logged out. Only `last_seen_at` and `ip` are written without a bump
  (the session middleware): the cached copy holds neither;
- an account's stamp, when the account is saved or deleted, or changed by the services
  that update it in place (disable, enable, validity end). Other apps that cache what
  depends on the account (billing's access level, learning's progress) check it too.
"""

from __future__ import annotations

from typing import Any

from cloudmentor.core import stamps

SESSION_CACHE_SECONDS = 300  # safety net: a change made behind the services' back shows within this time
USER_CACHE_SECONDS = 300


def user_stamp(user_id: Any) -> str:
    return f"accounts:user:{user_id}"


def session_stamp(session_key: str) -> str:
    return f"accounts:session:{session_key}"


def user_changed(user_id: Any) -> None:
    """Make every cached copy of the account, and of what depends on it, stale."""
    stamps.bump(user_stamp(user_id))


def session_changed(session_key: str) -> None:
    """Make every cached copy of the session stale (its row was updated)."""
    stamps.bump(session_stamp(session_key))


def session_ended(session_key: str) -> None:
    stamps.bump(session_stamp(session_key))


def on_user_saved_or_deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    if instance.pk is not None:
        user_changed(instance.pk)


def on_session_saved(sender: type, instance: Any, created: bool = False, **kwargs: Any) -> None:
    # A new row has no copy anywhere yet; its writer caches it.
    if not created:
        session_changed(instance.session_key)


def on_session_deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    session_ended(instance.session_key)
