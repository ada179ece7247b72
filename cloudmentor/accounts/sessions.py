"""The session engine: Django's database sessions, stored in AccountSession with the device.

``SESSION_ENGINE = "cloudmentor.accounts.sessions"``. ``login()``, ``logout()`` and the
admin keep working unchanged; each row also knows its user, address and browser so that
members can see and end their sessions (CK-7) and staff can spot sharing (TM-9).

Like Django's ``cached_db`` engine, a session is read from the cache; unlike it, each
cached copy carries the session's change stamp (`accounts.caching`), bumped by every write
of the row: an update (a login step, a flash message, the CSRF token), a save through the
model (staff site) and a delete, however it is done. Each worker keeps its own cache, so a
write in one worker is seen by the next request on any other; a revoked session is logged
out at its very next request (SC-1, CK-7, docs/decisions/0090-one-coherence-rule.md).

An update bumps the stamp and leaves no copy behind: the next read caches the row again,
with the stamp it read before the database (one more read per session write). Only a new
row is cached by its writer: no copy of a key that did not exist can be anywhere.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import IntegrityError, router, transaction
from django.utils import timezone

from cloudmentor.core import stamps
from cloudmentor.core.http import parse_user_agent

from .caching import SESSION_CACHE_SECONDS, session_changed, session_ended, session_stamp
from .models import AccountSession

AUTH_USER_ID_KEY = "_auth_user_id"
CACHE_PREFIX = "accounts:session-data:"


class SessionStore(DatabaseSessionStore):
    # The middleware tells the store who is asking, before any save.
    client_ip: str | None = None
    client_user_agent: str = ""

    @classmethod
    def get_model_class(cls) -> type[AccountSession]:
        return AccountSession

    def create_model_instance(self, data: dict[str, Any]) -> AccountSession:
        summary = parse_user_agent(self.client_user_agent)
        return AccountSession(
            session_key=self._get_or_create_session_key(),  # type: ignore[attr-defined]  # private, untyped in stubs
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
            user_id=_user_id(data),
            ip=self.client_ip,
            user_agent=self.client_user_agent,
            browser=summary.browser,
            os=summary.os,
        )

    def load(self) -> dict[str, Any]:
        """Return the session's data: from the cache while its stamp is unchanged, else from its row."""
        key = self.session_key
        if not key:
            return {}
        found = stamps.lookup(CACHE_PREFIX + key, session_stamp(key))
        if found.value is not None:
            data, expire_date = found.value
            if expire_date > timezone.now():
                return dict(data)
        row = self._get_session_from_db()  # type: ignore[attr-defined]  # private, untyped in stubs
        if row is None:
            return {}
        data = self.decode(row.session_data)
        _cache_store(key, data, row.expire_date, found)
        return data

    def save(self, must_create: bool = False) -> None:
        """Insert a new row, or update only the data, expiry and user of an existing one.

        Django's version rewrites every column on update, which would reset the device
        and the creation time. An update bumps the session's stamp, so that no worker serves
        its old copy, and caches nothing: a copy recorded now could carry a stamp read after
        another writer's bump (core/stamps.py), so the next read caches.
        """
        if self.session_key is None:
            return self.create()
        key = self.session_key
        data = self._get_session(no_load=must_create)  # type: ignore[attr-defined]  # private, untyped in stubs
        if must_create:
            found = stamps.lookup(CACHE_PREFIX + key, session_stamp(key))  # stamps read before the write
            instance = self.create_model_instance(data)
            using = router.db_for_write(AccountSession, instance=instance)
            try:
                with transaction.atomic(using=using):
                    instance.save(force_insert=True, using=using)
            except IntegrityError as error:
                raise CreateError from error
            _cache_store(key, data, instance.expire_date, found)
            return None
        expire_date = self.get_expiry_date()
        updated = AccountSession.objects.filter(session_key=key).update(
            session_data=self.encode(data),
            expire_date=expire_date,
            user_id=_user_id(data),
            ip=self.client_ip,
            last_seen_at=timezone.now(),
        )
        if not updated:
            raise UpdateError
        session_changed(key)
        return None

    def delete(self, session_key: str | None = None) -> None:
        """Delete the row; the cached copy is stale at once (the row's delete signal bumps its stamp too)."""
        key = session_key if session_key is not None else self.session_key
        super().delete(session_key)
        if key:
            session_ended(key)

    @classmethod
    def clear_expired(cls) -> None:
        """Delete expired rows without loading them (the delete signal would): cached copies
        carry their expiry and are never used past it."""
        expired = AccountSession.objects.filter(expire_date__lt=timezone.now())
        expired._raw_delete(expired.db)  # no model points at a session row: nothing to cascade


def _cache_store(key: str, data: dict[str, Any], expire_date: Any, found: stamps.Lookup) -> None:
    seconds = int((expire_date - timezone.now()).total_seconds())
    if seconds > 0:
        stamps.store(CACHE_PREFIX + key, (data, expire_date), found, min(seconds, SESSION_CACHE_SECONDS))


def _user_id(data: dict[str, Any]) -> int | None:
    raw = data.get(AUTH_USER_ID_KEY)
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None
