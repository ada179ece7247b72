"""The session engine: Django's database sessions, stored in AccountSession with the device.

``SESSION_ENGINE = "cloudmentor.accounts.sessions"``. ``login()``, ``logout()`` and the
admin keep working unchanged; each row also knows its user, address and browser so that
members can see and end their sessions (CK-7) and staff can spot sharing (TM-9).
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import IntegrityError, router, transaction
from django.utils import timezone

from cloudmentor.core.http import parse_user_agent

from .models import AccountSession

AUTH_USER_ID_KEY = "_auth_user_id"


class SessionStore(DatabaseSessionStore):
    # The middleware tells the store who is asking, before any save.
    client_ip: str | None = None
    client_user_agent: str = ""

    @classmethod
    def get_model_class(cls) -> type[AccountSession]:
        return AccountSession

    def create_model_instance(self, data: dict[str, Any]) -> AccountSession:  # type: ignore[override]
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

    def save(self, must_create: bool = False) -> None:
        """Insert a new row, or update only the data, expiry and user of an existing one.

        Django's version rewrites every column on update, which would reset the device
        and the creation time.
        """
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)  # type: ignore[attr-defined]  # private, untyped in stubs
        if must_create:
            instance = self.create_model_instance(data)
            using = router.db_for_write(AccountSession, instance=instance)
            try:
                with transaction.atomic(using=using):
                    instance.save(force_insert=True, using=using)
            except IntegrityError as error:
                raise CreateError from error
            return None
        updated = AccountSession.objects.filter(session_key=self.session_key).update(
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
            user_id=_user_id(data),
            ip=self.client_ip,
            last_seen_at=timezone.now(),
        )
        if not updated:
            raise UpdateError
        return None


def _user_id(data: dict[str, Any]) -> int | None:
    raw = data.get(AUTH_USER_ID_KEY)
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None
